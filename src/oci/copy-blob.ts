import type { BlobSource } from './blob-source.js';
import type { UploadSession } from './blob-upload.js';
import type { BlobDescriptor } from './descriptor.js';
import { RegistryError } from './errors.js';
import type { RegistryClient } from './registry-client.js';

/**
 * Blobs up to this size are not HEADed first: a mount request naming the destination
 * repository itself answers "already here" (201) or opens the upload (202) in one
 * round trip instead of two. A registry that cannot mount opens the upload, and a
 * small blob it already had is sent again: cheap at this size, and rare.
 */
export const PROBE_BY_MOUNT_MAX_BYTES = 1024 * 1024;

export type CopyBlobResult =
  | { result: 'skipped'; bytes: 0 }
  | { result: 'mounted'; bytes: 0 }
  /** `bytes` the destination accepted (a restarted session counts its bytes again). */
  | { result: 'copied'; bytes: number; resumes: number };

export interface CopyBlobOptions {
  signal?: AbortSignal;
  /** Called with each number of bytes just accepted by the destination. */
  onProgress?: (bytes: number) => void;
  /** A repository at the destination registry known to hold the blob. */
  mountFrom?: string;
  /**
   * Where the bytes come from instead of a plain ranged GET from the source: a
   * throttled stream, or a tee shared with other destinations.
   */
  source?: BlobSource;
}

/**
 * Copies one blob: is it at the destination already (HEAD, or for a small blob a
 * mount probe) → cross-repository mount when a holder is known → streamed GET →
 * upload, verified on the fly and resumed after failures. Between repositories of
 * the same endpoint the source repository is used as the mount origin: a streamed
 * copy to itself would need two connections from one pool and can starve it.
 */
export async function copyBlob(
  source: RegistryClient,
  sourceRepository: string,
  destination: RegistryClient,
  destinationRepository: string,
  descriptor: BlobDescriptor,
  options: CopyBlobOptions = {},
): Promise<CopyBlobResult> {
  const { signal } = options;
  const sameEndpoint = source === destination || source.url.href === destination.url.href;
  const candidate = options.mountFrom ?? (sameEndpoint ? sourceRepository : undefined);
  const mountFrom = candidate !== destinationRepository ? candidate : undefined;
  let session: UploadSession | undefined;

  const probe =
    mountFrom === undefined && descriptor.size <= PROBE_BY_MOUNT_MAX_BYTES
      ? await probeByMount(destination, destinationRepository, descriptor.digest, signal)
      : undefined;
  if (probe?.mounted) return { result: 'skipped', bytes: 0 };
  if (probe) {
    session = probe.session;
  } else {
    const present = await destination.headBlob(destinationRepository, descriptor.digest, {
      signal,
    });
    if (present && present.size === descriptor.size) return { result: 'skipped', bytes: 0 };
  }

  if (mountFrom !== undefined) {
    const mount = await destination.mountBlob(destinationRepository, descriptor.digest, mountFrom, {
      signal,
    });
    if (mount.mounted) return { result: 'mounted', bytes: 0 };
    // Not mounted (no access, or not there): the registry opened a session; use it.
    session = mount.session;
  }
  const uploaded = await destination.pushBlob(
    destinationRepository,
    descriptor,
    options.source ?? source.blobSource(sourceRepository, descriptor.digest),
    { signal, onProgress: options.onProgress, session },
  );
  return { result: 'copied', bytes: uploaded.bytesSent, resumes: uploaded.resumes };
}

/**
 * A mount from the destination repository into itself: 201 when the blob is there,
 * else 202 with an upload session. Undefined when the registry refuses the request
 * outright (the caller falls back to HEAD + upload).
 */
async function probeByMount(
  destination: RegistryClient,
  repository: string,
  digest: string,
  signal?: AbortSignal,
) {
  try {
    return await destination.mountBlob(repository, digest, repository, { signal });
  } catch (error) {
    if (error instanceof RegistryError && !error.retryable && !signal?.aborted) return undefined;
    throw error;
  }
}
