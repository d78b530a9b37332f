import { headBlob } from './blob-head.js';
import { healingRead, type BlobSource } from './blob-source.js';
import { ChunkReader } from './chunk-reader.js';
import type { BlobDescriptor } from './descriptor.js';
import { ContentMismatch, DigestVerifier, verified } from './digest-stream.js';
import { DigestMismatchError, ProtocolError, RegistryError, TransientError } from './errors.js';
import type { Transport } from './request.js';
import { withRetries } from './retry.js';
import { repositoryScope } from './scope.js';
import { commitTimeoutMs } from './timeouts.js';
import { throttled, type TokenBucket } from './token-bucket.js';
import { parseUploadRange, resolveLocation, withDigest } from './upload-location.js';

/** An upload session the registry opened; always use the newest `location`. */
export interface UploadSession {
  repository: string;
  location: URL;
  /** `OCI-Chunk-Min-Length`: the registry refuses smaller PATCH chunks (except the last). */
  minChunkBytes?: number;
}

export interface UploadSettings {
  transport: Transport;
  bucket?: TokenBucket;
  chunkThresholdBytes: number;
  chunkSizeBytes: number;
}

export interface UploadOptions {
  signal?: AbortSignal;
  /** Called with each number of bytes just accepted by the destination. */
  onProgress?: (bytes: number) => void;
  /** A session already open (e.g. the 202 of a mount attempt). */
  session?: UploadSession;
}

export interface UploadResult {
  /**
   * Bytes the destination accepted, counting twice what a restarted session had to
   * take again (a chunk cut mid-way and resumed is counted once).
   */
  bytesSent: number;
  /** How many times the upload continued after a failure. */
  resumes: number;
}

/** `POST /v2/NAME/blobs/uploads/` → a session. */
export async function startUpload(
  t: Transport,
  repository: string,
  signal?: AbortSignal,
  query = '',
): Promise<UploadSession> {
  const response = await t.send({
    method: 'POST',
    url: `/v2/${repository}/blobs/uploads/${query}`,
    scopes: [repositoryScope(repository, 'pull', 'push')],
    context: { repository },
    headers: { 'content-length': '0' },
    expect: [202],
    signal,
  });
  return sessionFrom(t, repository, response.headers, response.url);
}

export function sessionFrom(
  t: Transport,
  repository: string,
  headers: Record<string, string | string[] | undefined>,
  base: URL,
): UploadSession {
  const location = resolveLocation(headers.location, base);
  if (!location) {
    throw new ProtocolError('upload session without a Location', t.context({ repository }));
  }
  const min = Number(headers['oci-chunk-min-length']);
  return {
    repository,
    location,
    minChunkBytes: Number.isSafeInteger(min) && min > 0 ? min : undefined,
  };
}

/** Cancels a session; best effort, never throws (the registry purges stale uploads anyway). */
export async function cancelUpload(t: Transport, session: UploadSession): Promise<void> {
  try {
    await t.send({
      method: 'DELETE',
      url: session.location,
      scopes: [repositoryScope(session.repository, 'pull', 'push')],
      context: { repository: session.repository },
      expect: [204, 202, 200, 404],
      retry: false,
      // Deliberately not the caller's signal: cancelling must work after an abort.
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    // nothing more to do
  }
}

/** Where the registry says the session stands; undefined when the session is gone. */
async function sessionOffset(t: Transport, session: UploadSession, signal?: AbortSignal) {
  try {
    const response = await t.send({
      method: 'GET',
      url: session.location,
      scopes: [repositoryScope(session.repository, 'pull', 'push')],
      context: { repository: session.repository },
      expect: [204],
      followRedirects: false,
      signal,
    });
    session.location = resolveLocation(response.headers.location, response.url) ?? session.location;
    return parseUploadRange(response.headers.range) ?? 0;
  } catch (error) {
    if (error instanceof RegistryError && !error.retryable) return undefined;
    throw error;
  }
}

/**
 * Streams a blob from `source` into `repository`, verifying size and digest on the
 * way. Source failures are healed inside the stream (reopen at the offset reached);
 * destination failures resume from the registry's reported Range, or restart with a
 * new session when the registry lost it. A mismatch deletes the session and throws
 * DigestMismatchError: the last byte is never released, so nothing is committed.
 */
export async function uploadBlob(
  s: UploadSettings,
  repository: string,
  expected: BlobDescriptor,
  source: BlobSource,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const t = s.transport;
  const signal = options.signal ?? new AbortController().signal;
  const verifier = new DigestVerifier(expected.digest, expected.size);
  const chunked = expected.size > s.chunkThresholdBytes;
  const context = t.context({ repository, reference: expected.digest });
  let session = options.session;
  let bytesSent = 0;
  let resumes = 0;
  const progress = (n: number) => {
    bytesSent += n;
    options.onProgress?.(n);
  };

  const attempt = async (n: number): Promise<void> => {
    let from = 0;
    if (n > 1) {
      resumes++;
      // The previous attempt may have committed before its answer was lost.
      if (await blobExists(t, repository, expected, signal)) return;
      const at = session ? await sessionOffset(t, session, signal) : undefined;
      if (at === undefined || !chunked) {
        if (session) await cancelUpload(t, session);
        session = undefined;
      } else {
        from = at;
      }
    }
    session ??= await startUpload(t, repository, signal);
    const open = (offset: number) =>
      openVerified(s, source, verifier, offset, signal, context, t.options.retry);
    if (chunked) await sendChunks(s, session, expected, open, verifier, from, signal, progress);
    else await sendWhole(s, session, expected, open, signal, progress);
  };

  try {
    await withRetries(
      async (n) => {
        try {
          await attempt(n);
        } catch (error) {
          if (error instanceof ContentMismatch) {
            throw new DigestMismatchError(`blob ${error.what} does not match`, {
              ...context,
              expected: error.expected,
              actual: error.actual,
            });
          }
          throw error;
        }
      },
      { registry: t.registry, options: t.options.retry, observer: t.options.observer, signal },
    );
    return { bytesSent, resumes };
  } catch (error) {
    if (session) await cancelUpload(t, session);
    throw error;
  }
}

/** The source from `offset`, through the bandwidth cap and the verifier. */
function openVerified(
  s: UploadSettings,
  source: BlobSource,
  verifier: DigestVerifier,
  offset: number,
  signal: AbortSignal,
  context: ReturnType<Transport['context']>,
  retry: Transport['options']['retry'],
): AsyncGenerator<Uint8Array> {
  // Bytes between the last hash checkpoint and `offset` are hashed, not sent.
  const readFrom = verifier.rewind(offset);
  const raw = healingRead(source, readFrom, signal, {
    context,
    retries: retry.retries,
    minDelayMs: retry.minDelayMs,
    maxDelayMs: retry.maxDelayMs,
  });
  return verified(throttled(raw, s.bucket, signal), verifier, offset - readFrom);
}

async function sendWhole(
  s: UploadSettings,
  session: UploadSession,
  expected: BlobDescriptor,
  open: (offset: number) => AsyncGenerator<Uint8Array>,
  signal: AbortSignal,
  progress: (n: number) => void,
): Promise<void> {
  const t = s.transport;
  const body = open(0);
  try {
    const response = await t.send({
      method: 'PUT',
      url: withDigest(session.location, expected.digest),
      scopes: [repositoryScope(session.repository, 'pull', 'push')],
      context: { repository: session.repository, reference: expected.digest },
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(expected.size),
      },
      body: () => body,
      retry: false,
      expect: [201],
      headersTimeoutMs: commitTimeoutMs(expected.size, t.options.timeouts),
      signal,
    });
    progress(expected.size);
    checkCommitted(t, session, expected, response.headers['docker-content-digest']);
  } finally {
    await body.return(undefined);
  }
}

async function sendChunks(
  s: UploadSettings,
  session: UploadSession,
  expected: BlobDescriptor,
  open: (offset: number) => AsyncGenerator<Uint8Array>,
  verifier: DigestVerifier,
  from: number,
  signal: AbortSignal,
  progress: (n: number) => void,
): Promise<void> {
  const t = s.transport;
  const chunkSize = Math.max(s.chunkSizeBytes, session.minChunkBytes ?? 0);
  const scopes = [repositoryScope(session.repository, 'pull', 'push')];
  const context = { repository: session.repository, reference: expected.digest };
  const reader = new ChunkReader(open(from));
  try {
    let offset = from;
    while (offset < expected.size) {
      const length = Math.min(chunkSize, expected.size - offset);
      const response = await t.send({
        method: 'PATCH',
        url: session.location,
        scopes,
        context,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(length),
          // distribution 2.8.2 ignores it; other registries require it.
          'content-range': `${offset}-${offset + length - 1}`,
        },
        body: () => reader.take(length),
        retry: false,
        expect: [202],
        signal,
      });
      session.location =
        resolveLocation(response.headers.location, response.url) ?? session.location;
      const accepted = parseUploadRange(response.headers.range);
      if (accepted !== undefined && accepted !== offset + length) {
        // The registry holds something else than we sent: ask it and resume from there.
        throw new TransientError(
          `registry reports ${accepted} bytes after sending ${offset + length}`,
          t.context(context),
        );
      }
      offset += length;
      verifier.checkpoint();
      progress(length);
    }
  } finally {
    await reader.close();
  }
  const response = await t.send({
    method: 'PUT',
    url: withDigest(session.location, expected.digest),
    scopes,
    context,
    headers: { 'content-length': '0' },
    expect: [201],
    // A lost answer may hide a commit: the upload-level retry checks with HEAD first.
    retry: false,
    headersTimeoutMs: commitTimeoutMs(expected.size, t.options.timeouts),
    signal,
  });
  checkCommitted(t, session, expected, response.headers['docker-content-digest']);
}

function checkCommitted(
  t: Transport,
  session: UploadSession,
  expected: BlobDescriptor,
  header: string | string[] | undefined,
): void {
  const digest = Array.isArray(header) ? header[0] : header;
  if (digest && digest !== expected.digest) {
    throw new DigestMismatchError('the registry committed a different digest', {
      ...t.context({ repository: session.repository, reference: expected.digest }),
      expected: expected.digest,
      actual: digest,
    });
  }
}

/** HEAD at the destination: present with the right size? */
async function blobExists(
  t: Transport,
  repository: string,
  expected: BlobDescriptor,
  signal?: AbortSignal,
): Promise<boolean> {
  return (await headBlob(t, repository, expected.digest, signal))?.size === expected.size;
}
