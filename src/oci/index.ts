/**
 * regrelay's OCI registry client: framework-free, over undici. See docs/oci-client.md.
 */
export { RegistryClient, type RegistryClientOptions, type OpOptions } from './registry-client.js';
export {
  AddressPolicy,
  DEFAULT_DENY_NETWORKS,
  guardedConnector,
  parseNetwork,
} from './address-policy.js';
export { copyBlob, type CopyBlobOptions, type CopyBlobResult } from './copy-blob.js';
export { bytesSource, generatorSource, healingRead, type BlobSource } from './blob-source.js';
export type { UploadOptions, UploadResult, UploadSession } from './blob-upload.js';
export type { BlobStream, MountResult } from './blobs.js';
export type { Capabilities } from './capabilities.js';
export type { Credentials } from './bearer-auth.js';
export type { BlobDescriptor, Descriptor, Platform } from './descriptor.js';
export { DigestVerifier, digestOf } from './digest-stream.js';
export {
  AddressDeniedError,
  DeniedError,
  DigestMismatchError,
  InvalidReferenceError,
  MissingNamespaceError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  RegistryError,
  TooLargeError,
  TransientError,
  UnauthorizedError,
  UnsupportedError,
  UntrustedRealmError,
  type ErrorContext,
} from './errors.js';
export type { PageOptions } from './listing.js';
export type { HeadOptions, Manifest, ManifestDescriptor, PutManifestResult } from './manifests.js';
export {
  ManifestParseError,
  annotationsOf,
  artifactTypeOf,
  children,
  type ManifestChildren,
} from './manifest-graph.js';
export { MANIFEST_ACCEPT, MediaType, isIndex, isKnownManifest } from './media-types.js';
export type { RegistryObserver, RequestEvent, RetryEvent, RetryReason } from './observer.js';
export { isDigest, isRepository, isTag } from './reference.js';
export { referrersTag, type ReferrersResult } from './referrers.js';
export {
  NYDUS_MANIFEST_ARTIFACT_TYPE,
  NYDUS_OS_FEATURE,
  VARIANTS,
  isNydusEntry,
  variantIndex,
  type VariantIndex,
  type Variants,
} from './variants.js';
export {
  AttachedMediaType,
  CosignAnnotation,
  CosignTagSuffixes,
  attachedKind,
  attachedTagNames,
  cosignArtifactType,
  cosignTag,
  parseAttachedTag,
  selectedCosignSuffixes,
  selectsArtifactType,
  type AttachedKind,
  type AttachedTag,
  type CosignTagSuffix,
  type ReferrerSelection,
} from './attached.js';
export type { RetryOptions } from './retry.js';
export type { TimeoutOptions } from './timeouts.js';
export { TokenBucket } from './token-bucket.js';
export { Semaphore } from './semaphore.js';
