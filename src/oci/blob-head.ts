import type { BlobDescriptor } from './descriptor.js';
import { NotFoundError, ProtocolError } from './errors.js';
import { assertDigest } from './reference.js';
import type { Transport } from './request.js';
import { repositoryScope } from './scope.js';

/**
 * `HEAD /v2/NAME/blobs/DIGEST`: `{digest, size}` when the blob exists, else
 * undefined. The one blob existence check, for the check before a copy and for the
 * check after a lost commit answer alike. A 200 without a size is a protocol error,
 * not "present": the size is what says it is the right blob.
 */
export async function headBlob(
  t: Transport,
  repository: string,
  digest: string,
  signal?: AbortSignal,
): Promise<BlobDescriptor | undefined> {
  assertDigest(t.registry, repository, digest);
  try {
    const response = await t.send({
      method: 'HEAD',
      url: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, 'pull')],
      context: { repository, reference: digest },
      expect: [200],
      signal,
    });
    const size = Number(response.headers['content-length']);
    if (!Number.isSafeInteger(size)) {
      throw new ProtocolError(
        'blob HEAD without Content-Length',
        t.context({ repository, reference: digest }),
      );
    }
    return { digest, size };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
