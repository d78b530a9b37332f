import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { forEachConcurrent } from '../../src/common/async-pool.js';
import type { TestRegistry } from '../../test/support/registry.js';
import type { Dataset } from '../lib/datasets.js';

/**
 * The protocol floor: the same blobs and manifests moved by the simplest parallel
 * pipe — GET from the source streamed straight into a monolithic PUT at the
 * destination, `parallel` at a time, no listing, no existence checks, no digest
 * verification, no database. regrelay cannot beat it; the question is how close.
 */
export async function floorCopy(
  source: TestRegistry,
  dataset: Dataset,
  destination: TestRegistry,
  parallel = 8,
): Promise<void> {
  const src = new Pool(source.url, { connections: parallel });
  const dst = new Pool(destination.url, { connections: parallel });
  try {
    const blobs = new Map<string, { repository: string; digest: string; size: number }>();
    for (const image of dataset.images) {
      for (const blob of image.manifest.blobs)
        blobs.set(`${image.repository}@${blob.digest}`, { repository: image.repository, ...blob });
    }
    await forEachConcurrent(blobs.values(), parallel, (blob) =>
      floorBlob(src, dst, destination.url, blob),
    );
    await forEachConcurrent(dataset.images, parallel, async ({ repository, tag, manifest }) => {
      const mediaType = manifest.descriptor.mediaType;
      const get = await src.request({
        method: 'GET',
        path: `/v2/${repository}/manifests/${tag}`,
        headers: { accept: mediaType },
      });
      expectStatus(get.statusCode, 200, 'GET manifest', repository, tag);
      const bytes = Buffer.from(await get.body.arrayBuffer());
      const put = await dst.request({
        method: 'PUT',
        path: `/v2/${repository}/manifests/${tag}`,
        headers: { 'content-type': mediaType },
        body: bytes,
      });
      await put.body.dump();
      expectStatus(put.statusCode, 201, 'PUT manifest', repository, tag);
    });
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}

/**
 * One blob the floor's way: POST an upload at the destination, then the source's GET
 * body streamed straight into a monolithic PUT. `through` may wrap the body on its way
 * (bench/blob-pipeline-cpu.ts hashes it); `toRepository` defaults to the source's.
 */
export async function floorBlob(
  src: Pool,
  dst: Pool,
  destinationUrl: string,
  blob: { repository: string; digest: string; size: number },
  toRepository = blob.repository,
  through?: (body: AsyncIterable<Buffer>) => AsyncIterable<Buffer>,
): Promise<void> {
  const { repository, digest, size } = blob;
  const started = await dst.request({
    method: 'POST',
    path: `/v2/${toRepository}/blobs/uploads/`,
  });
  await started.body.dump();
  expectStatus(started.statusCode, 202, 'POST upload', toRepository, digest);
  const location = new URL(String(started.headers.location), destinationUrl);
  location.searchParams.set('digest', digest);
  const get = await src.request({ method: 'GET', path: `/v2/${repository}/blobs/${digest}` });
  expectStatus(get.statusCode, 200, 'GET blob', repository, digest);
  const put = await dst.request({
    method: 'PUT',
    path: location.pathname + location.search,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    // undici streams an async iterable body as it is; its types name only Readable.
    body: through ? (through(get.body) as Readable) : get.body,
  });
  await put.body.dump();
  expectStatus(put.statusCode, 201, 'PUT blob', toRepository, digest);
}

function expectStatus(got: number, want: number, what: string, repository: string, ref: string) {
  if (got !== want)
    throw new Error(`floor: ${what} ${repository}@${ref} answered ${got}, expected ${want}`);
}
