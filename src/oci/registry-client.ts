import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { guardedConnector, type AddressPolicy } from './address-policy.js';
import { Authenticator, type Credentials } from './bearer-auth.js';
import { bytesSource, type BlobSource } from './blob-source.js';
import {
  startUpload,
  uploadBlob,
  type UploadOptions,
  type UploadResult,
  type UploadSession,
} from './blob-upload.js';
import { BlobOps, type BlobStream, type MountResult } from './blobs.js';
import { probeCapabilities, type Capabilities } from './capabilities.js';
import type { BlobDescriptor, Descriptor } from './descriptor.js';
import { digestOf } from './digest-stream.js';
import { InvalidReferenceError } from './errors.js';
import { catalogPages, collect, tagPages, type PageOptions } from './listing.js';
import {
  ManifestOps,
  type HeadOptions,
  type Manifest,
  type PutManifestResult,
} from './manifests.js';
import type { RegistryObserver } from './observer.js';
import { Redactor } from './redactor.js';
import { ReferrerOps, type ReferrersResult } from './referrers.js';
import { assertRepository } from './reference.js';
import { Transport } from './request.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import { Semaphore } from './semaphore.js';
import { DEFAULT_TIMEOUTS, type TimeoutOptions } from './timeouts.js';
import { TokenBucket } from './token-bucket.js';

export interface RegistryClientOptions {
  /** Names the endpoint in errors and observer events (not necessarily its host). */
  name: string;
  /** `https://host[:port]` (a path prefix is not supported by the protocol). */
  url: string;
  credentials?: Credentials;
  /**
   * Hosts besides the registry's own to which its token realm may receive the
   * credentials (Docker Hub's and Alibaba ACR's token services live elsewhere).
   */
  tokenRealmHosts?: readonly string[];
  /**
   * Checked on the resolved address of every connection this client opens
   * (registry, redirects, token realms). Default: none.
   */
  addressPolicy?: AddressPolicy;
  tls?: {
    /** PEM bundle trusted in addition to the system roots. */
    caCert?: string;
    /** Lab use only: accept any certificate. */
    insecureSkipVerify?: boolean;
  };
  limits?: {
    /** Sockets per origin (registry and each storage host). Default 16. */
    connections?: number;
    /** Requests in flight at once, streaming bodies included. Default: `connections`. */
    maxConcurrentRequests?: number;
    /** Shared by every transfer to or from this endpoint. Default: unlimited. */
    bandwidthBytesPerSecond?: number;
  };
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  /** Manifests larger than this are refused in both directions. Default 4 MiB. */
  manifestMaxBytes?: number;
  /** Blobs larger than this are uploaded in chunks. Default 64 MiB. */
  chunkThresholdBytes?: number;
  /** PATCH size for chunked uploads (raised to OCI-Chunk-Min-Length). Default 16 MiB. */
  chunkSizeBytes?: number;
  /** Redirect hops followed before giving up. Default 5. */
  maxRedirects?: number;
  observer?: RegistryObserver;
}

export interface OpOptions {
  signal?: AbortSignal;
}

const MiB = 1024 * 1024;

/**
 * One client per registry endpoint: one undici Agent (a pool per origin, so storage
 * redirects reuse connections too), one auth state, one concurrency and bandwidth
 * budget, and one method per protocol operation.
 */
export class RegistryClient {
  readonly name: string;
  readonly url: URL;
  readonly manifestMaxBytes: number;
  readonly chunkThresholdBytes: number;
  readonly chunkSizeBytes: number;
  private readonly agent: Agent;
  private readonly transport: Transport;
  private readonly bucket?: TokenBucket;
  private readonly manifests: ManifestOps;
  private readonly blobs: BlobOps;
  private readonly referrerOps: ReferrerOps;

  constructor(options: RegistryClientOptions) {
    this.name = options.name;
    this.url = parseEndpoint(options.name, options.url);
    this.manifestMaxBytes = options.manifestMaxBytes ?? 4 * MiB;
    this.chunkThresholdBytes = options.chunkThresholdBytes ?? 64 * MiB;
    this.chunkSizeBytes = options.chunkSizeBytes ?? 16 * MiB;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const connections = options.limits?.connections ?? 16;
    const connect = {
      timeout: timeouts.connectMs,
      rejectUnauthorized: !options.tls?.insecureSkipVerify,
      // `ca` replaces the system roots: keep them, or storage redirects would fail.
      ...(options.tls?.caCert ? { ca: [...rootCertificates, options.tls.caCert] } : {}),
    };
    this.agent = new Agent({
      connections,
      connect: options.addressPolicy
        ? guardedConnector(options.addressPolicy, this.name, connect)
        : connect,
    });
    const redactor = new Redactor();
    const auth = new Authenticator({
      registry: this.name,
      baseUrl: this.url,
      tokenRealmHosts: options.tokenRealmHosts,
      credentials: options.credentials,
      dispatcher: this.agent,
      redactor,
    });
    const bandwidth = options.limits?.bandwidthBytesPerSecond;
    this.bucket = bandwidth ? new TokenBucket(bandwidth) : undefined;
    this.transport = new Transport({
      registry: this.name,
      baseUrl: this.url,
      dispatcher: this.agent,
      auth,
      redactor,
      semaphore: new Semaphore(options.limits?.maxConcurrentRequests ?? connections),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      timeouts,
      maxRedirects: options.maxRedirects ?? 5,
      observer: options.observer,
    });
    this.manifests = new ManifestOps(this.transport, this.manifestMaxBytes);
    this.blobs = new BlobOps(this.transport, this.bucket);
    this.referrerOps = new ReferrerOps(this.transport, this.manifests);
  }

  /** Closes the connection pools; in-flight requests finish first. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  // --- base -------------------------------------------------------------------

  /** `GET /v2/` with credentials: proves the endpoint speaks the protocol and we may log in. */
  async ping(op: OpOptions = {}): Promise<{ apiVersion?: string }> {
    const response = await this.transport.send({
      method: 'GET',
      url: '/v2/',
      scopes: [],
      context: {},
      expect: [200],
      signal: op.signal,
    });
    const version = response.headers['docker-distribution-api-version'];
    return { apiVersion: Array.isArray(version) ? version[0] : version };
  }

  /** Probes referrers API, tag delete and catalog; cache the answer. */
  capabilities(probeRepository: string, op: OpOptions = {}): Promise<Capabilities> {
    assertRepository(this.name, probeRepository);
    return probeCapabilities(this.transport, this.referrerOps, probeRepository, op.signal);
  }

  // --- listing ----------------------------------------------------------------

  /** Repository names, page by page (`_catalog`: not every registry offers it). */
  catalogPages(options: PageOptions = {}): AsyncIterable<string[]> {
    return catalogPages(this.transport, options);
  }

  catalog(options: PageOptions = {}): Promise<string[]> {
    return collect(this.catalogPages(options));
  }

  /** Tags of a repository, page by page. */
  tagPages(repository: string, options: PageOptions = {}): AsyncIterable<string[]> {
    return tagPages(this.transport, repository, options);
  }

  listTags(repository: string, options: PageOptions = {}): Promise<string[]> {
    return collect(this.tagPages(repository, options));
  }

  // --- manifests --------------------------------------------------------------

  /** Descriptor of a manifest by tag or digest, or undefined when absent. */
  headManifest(repository: string, reference: string, op: HeadOptions = {}) {
    return this.manifests.head(repository, reference, op);
  }

  /** The exact bytes of a manifest, digest-verified and size-capped. */
  getManifest(repository: string, reference: string, op: OpOptions = {}): Promise<Manifest> {
    return this.manifests.get(repository, reference, op);
  }

  /** Pushes exact bytes under a tag or digest with `Content-Type: mediaType`. */
  putManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    op: OpOptions = {},
  ): Promise<PutManifestResult> {
    return this.manifests.put(repository, reference, bytes, mediaType, op);
  }

  deleteManifest(repository: string, digest: string, op: OpOptions = {}): Promise<void> {
    return this.manifests.delete(repository, digest, op);
  }

  /** Throws UnsupportedError where the registry cannot delete a tag alone. */
  deleteTag(repository: string, tag: string, op: OpOptions = {}): Promise<void> {
    return this.manifests.deleteTag(repository, tag, op);
  }

  // --- blobs ------------------------------------------------------------------

  headBlob(
    repository: string,
    digest: string,
    op: OpOptions = {},
  ): Promise<BlobDescriptor | undefined> {
    return this.blobs.head(repository, digest, op);
  }

  /** Streams a blob from `offset` (unverified: the consumer checks it). */
  getBlob(
    repository: string,
    digest: string,
    op: OpOptions & { offset?: number } = {},
  ): Promise<BlobStream> {
    return this.blobs.get(repository, digest, op);
  }

  /** A source that reads this blob with ranged GETs, for `pushBlob` elsewhere. */
  blobSource(repository: string, digest: string): BlobSource {
    return this.blobs.source(repository, digest);
  }

  mountBlob(
    repository: string,
    digest: string,
    fromRepository: string,
    op: OpOptions = {},
  ): Promise<MountResult> {
    return this.blobs.mount(repository, digest, fromRepository, op);
  }

  /**
   * Uploads a blob from a source, verifying size and digest while streaming; chunked
   * above `chunkThresholdBytes`, resumed after failures; on mismatch the session is
   * deleted and DigestMismatchError thrown.
   */
  pushBlob(
    repository: string,
    expected: BlobDescriptor,
    source: BlobSource,
    options: UploadOptions = {},
  ): Promise<UploadResult> {
    assertRepository(this.name, repository);
    if (!/^sha(256|512):[a-f0-9]+$/.test(expected.digest) || !Number.isSafeInteger(expected.size)) {
      throw new InvalidReferenceError(`invalid blob descriptor ${expected.digest}`, {
        registry: this.name,
        repository,
      });
    }
    return uploadBlob(
      {
        transport: this.transport,
        bucket: this.bucket,
        chunkThresholdBytes: this.chunkThresholdBytes,
        chunkSizeBytes: this.chunkSizeBytes,
      },
      repository,
      expected,
      source,
      options,
    );
  }

  /** Convenience for small blobs held in memory (configs): returns their descriptor. */
  async pushBlobBytes(
    repository: string,
    bytes: Uint8Array,
    mediaType = 'application/octet-stream',
    op: OpOptions = {},
  ): Promise<Descriptor> {
    const descriptor = { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
    if (!(await this.headBlob(repository, descriptor.digest, op))) {
      await this.pushBlob(repository, descriptor, bytesSource(bytes), op);
    }
    return descriptor;
  }

  /** Opens an upload session (for callers driving uploads themselves). */
  startUpload(repository: string, op: OpOptions = {}): Promise<UploadSession> {
    assertRepository(this.name, repository);
    return startUpload(this.transport, repository, op.signal);
  }

  // --- referrers --------------------------------------------------------------

  /**
   * Referrers of a subject: API where offered, else the `sha256-<hex>` tag
   * (`tagSchema: false`: the caller knows there is no such tag; it is not asked for).
   */
  referrers(
    repository: string,
    subjectDigest: string,
    options: { artifactType?: string; signal?: AbortSignal; tagSchema?: boolean } = {},
  ): Promise<ReferrersResult> {
    return this.referrerOps.list(repository, subjectDigest, options);
  }

  /**
   * Whether this endpoint has the referrers API, as far as answers so far showed
   * (undefined: not known yet). Asks nothing; `referrers` learns it.
   */
  knownReferrersApi(): boolean | undefined {
    return this.referrerOps.knownApi();
  }

  /**
   * Makes the subject's `sha256-<hex>` index list all of `referrers`, keeping what it
   * lists already (one GET, at most one PUT). Returns the index written, if any.
   */
  ensureTagSchemaReferrers(
    repository: string,
    subjectDigest: string,
    referrers: readonly Descriptor[],
    op: OpOptions = {},
  ): Promise<{ digest: string; size: number } | undefined> {
    return this.referrerOps.ensureInTagSchema(repository, subjectDigest, referrers, op.signal);
  }

  /** Records a referrer in the tag schema (after `putManifest` said `subjectIndexed: false`). */
  addTagSchemaReferrer(
    repository: string,
    subjectDigest: string,
    referrer: Descriptor,
    op: OpOptions = {},
  ): Promise<void> {
    return this.referrerOps.addToTagSchema(repository, subjectDigest, referrer, op.signal);
  }
}

function parseEndpoint(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidReferenceError(`invalid registry URL`, { registry: name });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidReferenceError(`registry URL must be http(s)`, { registry: name });
  }
  if (url.username || url.password) {
    // Credentials in the URL would end up in logs; they belong in `credentials`.
    throw new InvalidReferenceError('put credentials in `credentials`, not in the URL', {
      registry: name,
    });
  }
  return new URL(url.origin);
}
