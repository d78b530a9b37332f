import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachConcurrent } from '../../src/common/async-pool.js';
import { MediaType } from '../../src/oci/index.js';

/** Files written at once while seeding. */
const PARALLEL_FILES = 64;

/**
 * Writes the planning data set (see pushIdenticalTagSets: per repository one layer
 * and one config, and per tag a manifest of its own) straight into a stopped
 * distribution registry's filesystem storage, in the layout distribution 2.8.2 keeps
 * (docker/registry/v2: blobs by digest, and per repository the layer links, manifest
 * revisions and tags with their current and index links). Pushing 100,000 manifests
 * through the API to two registries takes most of an hour on two cores; this takes
 * minutes, and the registries then serve the same content as if it had been pushed
 * (the caller checks a sample through the API).
 */
export async function seedIdenticalTagSets(
  storageDirs: string[],
  o: { prefix: string; repositories: number; tagsPerRepository: number },
): Promise<void> {
  for (let r = 0; r < o.repositories; r++) {
    const repository = `${o.prefix}/r${r}`;
    const layer = blob(Buffer.from(`planning layer ${repository}`), MediaType.OciLayerGzip);
    const config = blob(
      Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' })),
      MediaType.OciConfig,
    );
    const files: [string, Buffer | string][] = [];
    for (const b of [layer, config]) {
      files.push([blobPath(b.digest), b.bytes]);
      files.push([join(repositoryPath(repository), '_layers', linkPath(b.digest)), b.digest]);
    }
    for (let t = 0; t < o.tagsPerRepository; t++) {
      const tag = `t${t}`;
      const manifest = blob(
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MediaType.OciManifest,
            config: config.descriptor,
            layers: [layer.descriptor],
            annotations: { 'org.regrelay.bench.tag': `${repository}:${tag}` },
          }),
        ),
        MediaType.OciManifest,
      );
      const manifests = join(repositoryPath(repository), '_manifests');
      files.push([blobPath(manifest.digest), manifest.bytes]);
      files.push([join(manifests, 'revisions', linkPath(manifest.digest)), manifest.digest]);
      files.push([join(manifests, 'tags', tag, 'current', 'link'), manifest.digest]);
      files.push([
        join(manifests, 'tags', tag, 'index', linkPath(manifest.digest)),
        manifest.digest,
      ]);
    }
    for (const root of storageDirs)
      await forEachConcurrent(files, PARALLEL_FILES, async ([path, content]) => {
        const file = join(root, path);
        await mkdir(join(file, '..'), { recursive: true });
        await writeFile(file, content);
      });
  }
}

function blob(bytes: Buffer, mediaType: string) {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return { bytes, digest, descriptor: { mediaType, digest, size: bytes.byteLength } };
}

const V2 = join('docker', 'registry', 'v2');

function blobPath(digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(V2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

function repositoryPath(repository: string): string {
  return join(V2, 'repositories', repository);
}

/** `sha256/<hex>/link`, as distribution names a link to a digest. */
function linkPath(digest: string): string {
  return join('sha256', digest.slice('sha256:'.length), 'link');
}
