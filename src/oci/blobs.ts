import type { Readable } from 'node:stream';
import { asSourceError, type BlobSource } from './blob-source.js';
import { sessionFrom, type UploadSession } from './blob-upload.js';
import type { BlobDescriptor } from './descriptor.js';
import { headBlob } from './blob-head.js';
import { ProtocolError } from './errors.js';
import { assertDigest, assertRepository } from './reference.js';
import type { Transport } from './request.js';
import { repositoryScope } from './scope.js';
import { throttled, type TokenBucket } from './token-bucket.js';

export interface BlobStream {
  /** Where the stream starts (the requested offset). */
  offset: number;
  /** Total blob size when the registry said it. */
  size?: number;
  body: AsyncIterable<Uint8Array>;
}

export type MountResult =
  | { mounted: true }
  /** The registry did not mount but opened an upload session: continue or cancel it. */
  | { mounted: false; session: UploadSession };

interface Op {
  signal?: AbortSignal;
}

export class BlobOps {
  constructor(
    private readonly t: Transport,
    private readonly bucket?: TokenBucket,
  ) {}

  /** `{digest, size}` when the blob exists, else undefined. */
  head(repository: string, digest: string, op: Op = {}): Promise<BlobDescriptor | undefined> {
    return headBlob(this.t, repository, digest, op.signal);
  }

  /**
   * Opens the blob from `offset` as a stream (redirects to storage are followed,
   * without our credentials). The stream is paced by the bandwidth cap; errors while
   * reading become TransientError so a consumer can reopen at the offset it reached.
   * Not verified here: the consumer verifies (it knows what it expects).
   */
  async get(
    repository: string,
    digest: string,
    op: Op & { offset?: number } = {},
  ): Promise<BlobStream> {
    assertDigest(this.t.registry, repository, digest);
    const offset = op.offset ?? 0;
    const context = this.t.context({ repository, reference: digest });
    const response = await this.t.send({
      method: 'GET',
      url: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, 'pull')],
      context: { repository, reference: digest },
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      expect: offset > 0 ? [200, 206] : [200],
      stream: true,
      signal: op.signal,
    });
    const body = response.body!;
    const length = Number(response.headers['content-length']);
    let size: number | undefined;
    let skip = 0;
    if (response.status === 206) {
      const total = /\/(\d+)\s*$/.exec(String(response.headers['content-range'] ?? ''));
      size = total ? Number(total[1]) : undefined;
      const start = /bytes\s+(\d+)-/.exec(String(response.headers['content-range'] ?? ''));
      if (start && Number(start[1]) !== offset) {
        body.on('error', () => undefined);
        body.destroy();
        throw new ProtocolError(`asked for bytes from ${offset}, got from ${start[1]}`, context);
      }
    } else {
      size = Number.isSafeInteger(length) ? length : undefined;
      // A server that ignores Range sends everything: drop what we already have.
      skip = offset;
    }
    return { offset, size, body: throttled(guarded(body, skip, context), this.bucket, op.signal) };
  }

  /** A BlobSource reading this registry with ranged GETs. */
  source(repository: string, digest: string): BlobSource {
    return {
      open: async (offset, signal) => (await this.get(repository, digest, { offset, signal })).body,
    };
  }

  /**
   * Cross-repository mount. Needs two scopes: push on the target and pull on the
   * source repository. 201 = mounted; 202 = the registry opened an upload instead.
   */
  async mount(repository: string, digest: string, from: string, op: Op = {}): Promise<MountResult> {
    assertDigest(this.t.registry, repository, digest);
    assertRepository(this.t.registry, from);
    const query = new URLSearchParams({ mount: digest, from });
    const response = await this.t.send({
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/?${query}`,
      scopes: [repositoryScope(repository, 'pull', 'push'), repositoryScope(from, 'pull')],
      context: { repository, reference: digest },
      headers: { 'content-length': '0' },
      expect: [201, 202],
      signal: op.signal,
    });
    if (response.status === 201) return { mounted: true };
    return {
      mounted: false,
      session: sessionFrom(this.t, repository, response.headers, response.url),
    };
  }
}

/** Skips bytes a Range-ignoring server re-sent, and types mid-body failures. */
async function* guarded(
  body: Readable,
  skip: number,
  context: ReturnType<Transport['context']>,
): AsyncGenerator<Uint8Array> {
  let toSkip = skip;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (toSkip >= chunk.byteLength) {
        toSkip -= chunk.byteLength;
        continue;
      }
      yield toSkip > 0 ? chunk.subarray(toSkip) : chunk;
      toSkip = 0;
    }
  } catch (error) {
    throw asSourceError(error, context);
  } finally {
    // Stop the download when the consumer stops early (abort, mismatch).
    body.on('error', () => undefined);
    body.destroy();
  }
}
