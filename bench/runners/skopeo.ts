import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { requireBinary } from '../../test/support/binaries.js';
import type { TestRegistry } from '../../test/support/registry.js';

/**
 * `skopeo sync` of each repository from `source` to the same path at `destination`,
 * one repository after another, as a user would script it: `--all` for every
 * platform of an index, `--preserve-digests` so bytes stay exact as regrelay keeps
 * them, plain HTTP on loopback.
 */
export async function skopeoSync(
  source: TestRegistry,
  repositories: string[],
  destination: TestRegistry,
  timeoutMs: number,
): Promise<void> {
  for (const repository of repositories) {
    await runSkopeo(
      [
        'sync',
        '--all',
        '--preserve-digests',
        '--src',
        'docker',
        '--dest',
        'docker',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `${source.host}/${repository}`,
        // Without --scoped, sync appends the repository's last path element.
        `${destination.host}/${dirname(repository)}`,
      ],
      timeoutMs,
    );
  }
}

/**
 * `skopeo copy --all --preserve-digests` of one digest to a tag at `destination`: what a
 * script promoting an image between registries by hand does.
 */
export function skopeoCopy(
  source: TestRegistry,
  repository: string,
  digest: string,
  destination: TestRegistry,
  tag: string,
  timeoutMs: number,
): Promise<void> {
  return runSkopeo(
    [
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${source.host}/${repository}@${digest}`,
      `docker://${destination.host}/${repository}:${tag}`,
    ],
    timeoutMs,
  );
}

function runSkopeo(args: string[], timeoutMs: number): Promise<void> {
  const skopeo = requireBinary('skopeo');
  return new Promise((resolve, reject) => {
    const child = spawn(skopeo, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`skopeo ${args.join(' ')} ended with ${code ?? signal}:\n${stderr}`));
    });
  });
}
