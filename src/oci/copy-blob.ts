import type { BlobSource } from './blob-source.js';
import type { BlobDescriptor } from './descriptor.js';
import type { RegistryClient } from './registry-client.js';

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
  /**
   * The caller knows the destination repository lacks the blob (it listed no tags
   * when the copy was planned, and nothing since is known to have written the blob
   * there): upload without the HEAD. Uploading a blob the registry holds after all
   * costs its bytes again and nothing else: the upload is verified by digest.
   */
  knownAbsent?: boolean;
}

/**
 * Copies one blob: HEAD at the destination (skip; not asked when `knownAbsent`) →
 * cross-repository mount when a holder is known → streamed GET → upload, verified on
 * the fly and resumed after failures. Between repositories of the same endpoint the
 * source repository is used as the mount origin: a streamed copy to itself would need
 * two connections from one pool and can starve it.
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
  if (!options.knownAbsent) {
    const present = await destination.headBlob(destinationRepository, descriptor.digest, {
      signal,
    });
    if (present && present.size === descriptor.size) return { result: 'skipped', bytes: 0 };
  }

  const sameEndpoint = source === destination || source.url.href === destination.url.href;
  const mountFrom = options.mountFrom ?? (sameEndpoint ? sourceRepository : undefined);
  let session;
  if (mountFrom && mountFrom !== destinationRepository) {
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
