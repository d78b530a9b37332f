import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { startCheckServer, type CheckServer } from '../support/check-server.js';
import { ImageBuilder } from '../support/image-builder.js';
import { createPipeline, createToken } from '../support/promotion-api.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const root = join(import.meta.dirname, '../..');

/**
 * The built CLI (`node dist/cli/regrelay.js`) from a shell script, as a CI job runs
 * it, against the app and real registries; the script checks each exit code.
 */
describe('the regrelay CLI from a shell script', () => {
  let t: TestApp;
  let registries: TestRegistry[];
  let check: CheckServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ REGRELAY_POLL_INTERVAL_MS: '100' });
    registries = await Promise.all([0, 1, 2].map(() => startRegistry()));
    const [dev, test, prod] = registries as [TestRegistry, TestRegistry, TestRegistry];
    const ids = [
      await addRegistry(t, 'dev', dev),
      await addRegistry(t, 'test', test),
      await addRegistry(t, 'prod', prod),
    ];
    check = await startCheckServer();
    check.answer({ status: 422, body: 'smoke tests failed' });
    await createPipeline(t, {
      name: 'ci',
      stages: [
        { name: 'dev', registryId: ids[0] },
        { name: 'test', registryId: ids[1] },
        { name: 'prod', registryId: ids[2], immutableTags: ['v*'] },
      ],
    });
    for (const [name, gate] of [
      ['gated', { type: 'check', url: check.url, timeoutSeconds: 30 }],
      ['approved', { type: 'approval', required: 1 }],
    ] as const)
      await createPipeline(t, {
        name: `ci-${name}`,
        stages: [
          { name: 'dev', registryId: ids[0] },
          { name, registryId: ids[2], repository: `${name}/{repository}`, gates: [gate] },
        ],
      });
    const client = new RegistryClient({ name: 'dev', url: dev.url });
    const build = new ImageBuilder(client);
    const v1 = await build.image('team/app', {
      tag: 'v1',
      layers: [{ seed: 'cli-v1', size: 20 * 1024 }],
    });
    const v2 = await build.image('team/app', {
      tag: 'v2',
      layers: [{ seed: 'cli-v2', size: 20 * 1024 }],
    });
    await client.close();
    env = {
      REGRELAY_URL: t.url,
      REGRELAY_TOKEN: await createToken(t, 'ci-job', 'admin'),
      PIPELINE: 'ci',
      DIGEST: v1.descriptor.digest,
      OTHER_DIGEST: v2.descriptor.digest,
      CLI: join(root, 'dist/cli/regrelay.js'),
    };
  });

  afterAll(async () => {
    await t?.close();
    await check?.close();
    await Promise.all(registries.map((r) => r.destroy()));
  });

  it('promotes with --wait (0), is refused by a rule and by a gate (2), times out waiting (3), prints JSON', async () => {
    const { code, stdout, stderr } = await runScript(
      join(root, 'test/cli/promote-from-ci.sh'),
      env,
    );
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('promote --wait: exit 0');
    expect(stdout).toContain('refused by a rule: exit 2');
    expect(stdout).toContain('refused by a gate: exit 2');
    expect(stdout).toContain('still waiting at the timeout: exit 3');
    expect(stdout).toContain('all CLI checks passed');
  });
});

function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
