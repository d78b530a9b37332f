import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MissingNamespaceError, RegistryClient } from '../../src/oci/index.js';
import { startHarborFront, type HarborFront } from '../support/harbor-front.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addPolicy, addRegistry, finished, tasks, trigger } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KiB = 1024;
const robot = { username: 'robot$library+regrelay', password: 'Robot-Secret-0001' };

/**
 * Harbor as a destination, through a front that answers auth and missing projects
 * exactly as Harbor 2.x does (test/support/harbor-front.ts), with a real distribution
 * registry behind it. Pushing into a project nobody created must say so, by name.
 */
describe('a Harbor destination', () => {
  let backend: TestRegistry, source: TestRegistry;
  let harbor: HarborFront;
  let client: RegistryClient;
  let image: PushedManifest;

  beforeAll(async () => {
    [backend, source] = await Promise.all([startRegistry(), startRegistry()]);
    harbor = await startHarborFront({ upstream: backend.url, robot, projects: ['library'] });
    client = new RegistryClient({ name: 'harbor', url: harbor.url, credentials: robot });
    const sourceClient = new RegistryClient({ name: 'source', url: source.url });
    try {
      image = await new ImageBuilder(sourceClient).image('app', {
        tag: '1.0',
        layers: [{ seed: 'harbor', size: 16 * KiB }],
      });
    } finally {
      await sourceClient.close();
    }
  });

  afterAll(async () => {
    await client?.close();
    await harbor?.close();
    await Promise.all([backend?.destroy(), source?.destroy()]);
  });

  it('takes pushes into an existing project with a robot account over the token service', async () => {
    const pushed = await new ImageBuilder(client).image('library/app', {
      tag: 'v1',
      layers: [{ seed: 'ok', size: 4 * KiB }],
    });
    expect((await client.headManifest('library/app', 'v1'))?.digest).toBe(pushed.descriptor.digest);
    // Harbor's token service answers the OAuth2 POST with 405; the GET with Basic works.
    expect(harbor.log.some((l) => l.path.startsWith('/service/token') && l.status === 405)).toBe(
      true,
    );
    expect(harbor.log.some((l) => l.path.startsWith('/service/token?') && l.status === 200)).toBe(
      true,
    );
  });

  it('names the missing project on an upload, a manifest PUT and a HEAD', async () => {
    const blob = image.blobs[0]!;
    const attempts = {
      upload: client.startUpload('nope/app'),
      manifest: client.putManifest('nope/app', 'v1', image.bytes, image.descriptor.mediaType),
      'blob HEAD': client.headBlob('nope/app', blob.digest),
      'manifest HEAD': client.headManifest('nope/app', 'v1'),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      const error = await (attempt as Promise<unknown>).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ what, error: error instanceof MissingNamespaceError }).toEqual({
        what,
        error: true,
      });
      const missing = error as MissingNamespaceError;
      expect(missing.namespace).toBe('nope');
      expect(missing.message).toContain('the project "nope" does not exist at this registry');
      expect(missing.message).toContain('project nope not found');
      expect(missing.hint).toMatch(/Create the project "nope"/);
      expect(missing.retryable).toBe(false);
    }
  });

  it('fails the task into a missing project with an error naming it; the others succeed', async () => {
    const t: TestApp = await startTestApp();
    try {
      const harborId = await addRegistry(t, 'harbor', harbor, {
        username: robot.username,
        password: robot.password,
      });
      const policy = await addPolicy(t, {
        name: 'to-harbor',
        sourceRegistryId: await addRegistry(t, 'source', source),
        destinations: [
          { registryId: harborId, namespace: 'library' },
          { registryId: harborId, namespace: 'nope' },
        ],
      });
      const done = await finished(t, await trigger(t, policy));
      const byRepository = Object.fromEntries(
        (await tasks(t, done.id)).map((task) => [task.destinationRepository, task]),
      );
      expect(byRepository['library/app']).toMatchObject({ tag: '1.0', status: 'succeeded' });
      expect(byRepository['nope/app']).toMatchObject({ tag: '1.0', status: 'failed' });
      expect(byRepository['nope/app']!.reason).toMatch(
        /harbor nope\/app.*: the project "nope" does not exist at this registry \(registry said: UNAUTHORIZED project nope not found.*\)\s*\[HTTP 401\]\. Create the project "nope"/,
      );
      expect(byRepository['nope/app']!.attempts).toBe(1);
      expect((await client.headManifest('library/app', '1.0'))?.digest).toBe(
        image.descriptor.digest,
      );
    } finally {
      await t.close();
    }
  });
});
