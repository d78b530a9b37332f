import type { Descriptor } from './descriptor.js';
import { digestOf } from './digest-stream.js';
import {
  DigestMismatchError,
  NotFoundError,
  ProtocolError,
  TooLargeError,
  UnsupportedError,
} from './errors.js';
import { ManifestParseError, children, embeddedMediaType } from './manifest-graph.js';
import { MANIFEST_ACCEPT, baseMediaType, isKnownManifest } from './media-types.js';
import { assertDigest, assertManifestReference, assertTag, splitDigest } from './reference.js';
import type { Transport } from './request.js';
import { repositoryScope } from './scope.js';

export interface Manifest {
  /** Verified: `digest` is the sha256 of `bytes`, `size` their length. */
  descriptor: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  /** The exact bytes: push these, never a re-serialisation. */
  bytes: Buffer;
}

export interface PutManifestResult {
  digest: string;
  /** True when the registry answered `OCI-Subject`: it indexes referrers itself. */
  subjectIndexed: boolean;
}

interface Op {
  signal?: AbortSignal;
}

/** What a HEAD returns: the manifest's descriptor. */
export type ManifestDescriptor = Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;

export interface HeadOptions extends Op {
  /**
   * What the caller expects the reference to name. The HEAD is then conditional
   * (`If-None-Match: "<digest>"`): a registry whose ETag for the reference is that
   * digest answers 304 Not Modified, and `known` is returned. distribution (and
   * what is built on it) answers so after reading the tag's link file alone, without
   * the manifest: a fifth less of its CPU for the HEAD. Any other answer is read as
   * a plain HEAD's, so a registry that ignores the header costs nothing more.
   */
  known?: ManifestDescriptor;
}

/** Media types that say nothing about what a manifest is. */
const UNINFORMATIVE = new Set(['application/json', 'text/plain', 'application/octet-stream']);

export class ManifestOps {
  constructor(
    private readonly t: Transport,
    private readonly maxBytes: number,
  ) {}

  /** The descriptor of a manifest, or undefined when the registry has none. */
  async head(
    repository: string,
    reference: string,
    op: HeadOptions = {},
  ): Promise<ManifestDescriptor | undefined> {
    const kind = assertManifestReference(this.t.registry, repository, reference);
    const { known } = op;
    if (known) assertDigest(this.t.registry, repository, known.digest);
    try {
      const response = await this.t.send({
        method: 'HEAD',
        url: `/v2/${repository}/manifests/${reference}`,
        scopes: [repositoryScope(repository, 'pull')],
        context: { repository, reference },
        headers: {
          accept: MANIFEST_ACCEPT,
          ...(known ? { 'if-none-match': `"${known.digest}"` } : {}),
        },
        expect: known ? [200, 304] : [200],
        signal: op.signal,
      });
      if (response.status === 304) return known;
      const digest = header(response.headers['docker-content-digest']);
      const size = Number(response.headers['content-length']);
      const mediaType = baseMediaType(header(response.headers['content-type']));
      if (digest && Number.isSafeInteger(size) && mediaType && !UNINFORMATIVE.has(mediaType)) {
        if (kind === 'digest' && digest !== reference) {
          throw new DigestMismatchError('HEAD answered another digest', {
            ...this.t.context({ repository, reference }),
            expected: reference,
            actual: digest,
          });
        }
        return { mediaType, digest, size };
      }
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    // Some registries omit the digest or type on HEAD: a GET tells the truth.
    try {
      return (await this.get(repository, reference, op)).descriptor;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Reads a manifest, capped at `manifestMaxBytes`, and verifies its digest. */
  async get(repository: string, reference: string, op: Op = {}): Promise<Manifest> {
    const kind = assertManifestReference(this.t.registry, repository, reference);
    const context = this.t.context({ repository, reference });
    const response = await this.t.send({
      method: 'GET',
      url: `/v2/${repository}/manifests/${reference}`,
      scopes: [repositoryScope(repository, 'pull')],
      context: { repository, reference },
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200],
      maxBodyBytes: this.maxBytes,
      signal: op.signal,
    });
    const bytes = response.bytes;
    const claimed = header(response.headers['docker-content-digest']);
    // Verify with the algorithm of what we were promised: the reference, else the header.
    const algorithm =
      kind === 'digest' ? splitDigest(reference)[0] : claimed ? splitDigest(claimed)[0] : 'sha256';
    const actual = digestOf(bytes, algorithm === 'sha512' ? 'sha512' : 'sha256');
    for (const promised of [kind === 'digest' ? reference : undefined, claimed]) {
      if (promised && splitDigest(promised)[0] === splitDigest(actual)[0] && promised !== actual) {
        throw new DigestMismatchError('the manifest bytes do not match their digest', {
          ...context,
          expected: promised,
          actual,
        });
      }
    }
    let mediaType = baseMediaType(header(response.headers['content-type']));
    if (!mediaType || UNINFORMATIVE.has(mediaType))
      mediaType = embeddedMediaType(bytes) ?? mediaType;
    if (!mediaType) throw new ProtocolError('manifest without a media type', context);
    if (isKnownManifest(mediaType)) {
      try {
        children(bytes, mediaType);
      } catch (error) {
        if (error instanceof ManifestParseError) {
          throw new ProtocolError(
            `the ${mediaType} manifest is malformed: ${error.message}`,
            context,
          );
        }
        throw error;
      }
    }
    const digest = kind === 'digest' ? reference : actual;
    return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes };
  }

  /** Pushes the exact bytes under a tag or their digest. */
  async put(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    op: Op = {},
  ): Promise<PutManifestResult> {
    const kind = assertManifestReference(this.t.registry, repository, reference);
    const context = this.t.context({ repository, reference });
    if (bytes.byteLength > this.maxBytes) {
      throw new TooLargeError(
        `the manifest is ${bytes.byteLength} bytes, over the ${this.maxBytes}-byte limit`,
        {
          ...context,
          limit: this.maxBytes,
        },
      );
    }
    const digest = digestOf(bytes, kind === 'digest' ? splitDigest(reference)[0] : 'sha256');
    if (kind === 'digest' && digest !== reference) {
      throw new DigestMismatchError('refusing to push bytes under another digest', {
        ...context,
        expected: reference,
        actual: digest,
      });
    }
    const response = await this.t.send({
      method: 'PUT',
      url: `/v2/${repository}/manifests/${reference}`,
      scopes: [repositoryScope(repository, 'pull', 'push')],
      context: { repository, reference },
      headers: { 'content-type': mediaType },
      body: () => bytes,
      expect: [201],
      signal: op.signal,
    });
    const answered = header(response.headers['docker-content-digest']);
    if (answered && splitDigest(answered)[0] === splitDigest(digest)[0] && answered !== digest) {
      throw new DigestMismatchError('the registry stored the manifest under another digest', {
        ...context,
        expected: digest,
        actual: answered,
      });
    }
    return { digest, subjectIndexed: response.headers['oci-subject'] !== undefined };
  }

  /** Deletes a manifest by digest (and with it every tag pointing at it). */
  async delete(repository: string, digest: string, op: Op = {}): Promise<void> {
    assertDigest(this.t.registry, repository, digest);
    await this.t.send({
      method: 'DELETE',
      url: `/v2/${repository}/manifests/${digest}`,
      scopes: [repositoryScope(repository, 'delete')],
      context: { repository, reference: digest },
      expect: [202, 200],
      signal: op.signal,
    });
  }

  /**
   * Deletes one tag, where the registry supports it. distribution 2.8.2 answers 400
   * DIGEST_INVALID: that, 405 and UNSUPPORTED become UnsupportedError.
   */
  async deleteTag(repository: string, tag: string, op: Op = {}): Promise<void> {
    assertTag(this.t.registry, repository, tag);
    try {
      await this.t.send({
        method: 'DELETE',
        url: `/v2/${repository}/manifests/${tag}`,
        scopes: [repositoryScope(repository, 'delete')],
        context: { repository, reference: tag },
        expect: [202, 200],
        signal: op.signal,
      });
    } catch (error) {
      if (error instanceof ProtocolError && error.status === 400) {
        throw new UnsupportedError('this registry cannot delete a tag alone', {
          ...this.t.context({ repository, reference: tag }),
          status: error.status,
          code: error.code,
          registryMessage: error.registryMessage,
        });
      }
      throw error;
    }
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
