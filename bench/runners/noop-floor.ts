import { Pool } from 'undici';
import { forEachConcurrent } from '../../src/common/async-pool.js';
import type { TestRegistry } from '../../test/support/registry.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * The floor of a no-op resync: what finding out that nothing changed costs the two
 * registries at least — each source repository's tag list, then one manifest HEAD
 * per tag at the source and one at the destination (in parallel, `parallel` tags at
 * a time), digests compared. No database, no execution, no listing of the
 * destination, no attached artifacts. Throws if any tag differs: the run is a no-op.
 */
export async function noopFloor(
  source: TestRegistry,
  repositories: string[],
  destination: TestRegistry,
  parallel = 16,
): Promise<void> {
  const src = new Pool(source.url, { connections: parallel });
  const dst = new Pool(destination.url, { connections: parallel });
  try {
    for (const repository of repositories) {
      const listed = await src.request({ method: 'GET', path: `/v2/${repository}/tags/list` });
      if (listed.statusCode !== 200)
        throw new Error(`no-op floor: tags of ${repository} answered ${listed.statusCode}`);
      const { tags } = (await listed.body.json()) as { tags: string[] };
      await forEachConcurrent(tags, parallel, async (tag) => {
        const path = `/v2/${repository}/manifests/${tag}`;
        const [a, b] = await Promise.all(
          [src, dst].map(async (pool) => {
            const res = await pool.request({ method: 'HEAD', path, headers: { accept: ACCEPT } });
            await res.body.dump();
            return res.statusCode === 200 ? String(res.headers['docker-content-digest']) : '';
          }),
        );
        if (!a || a !== b)
          throw new Error(`no-op floor: ${repository}:${tag} differs (${a || 'absent'} → ${b})`);
      });
    }
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}
