import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { MediaType, digestOf, type Descriptor, type RegistryClient } from '../../src/oci/index.js';
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  COSIGN_SIGNATURE_TYPE,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  cosignSignatureTag,
} from '../../src/promotions/gates/cosign-signature.js';

/** An ECDSA P-256 key pair as `cosign generate-key-pair` makes (the public half as PEM). */
export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The simple-signing payload cosign signs for `digest` (as `cosign sign` writes it). */
export function simpleSigningPayload(repository: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': repository },
        image: { 'docker-manifest-digest': digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: null,
    }),
  );
}

/**
 * Pushes a cosign-format signature of `subject`: the payload as a layer blob whose
 * descriptor carries the base64 ECDSA signature (SHA-256, ASN.1 DER) in the
 * `dev.cosignproject.cosign/signature` annotation. `tag` stores it where cosign does
 * by default (`sha256-<hex>.sig`); `referrer` as an OCI 1.1 referrer with `subject`
 * and cosign's artifact type (listed in the tag schema where the registry has no
 * referrers API). `payloadDigest` signs a payload naming another digest.
 */
export async function pushCosignSignature(
  client: RegistryClient,
  repository: string,
  subject: Descriptor,
  key: SigningKey,
  mode: 'tag' | 'referrer',
  options: { payloadDigest?: string } = {},
): Promise<Descriptor> {
  const payload = simpleSigningPayload(repository, options.payloadDigest ?? subject.digest);
  const signature = sign('sha256', payload, key.privateKey).toString('base64');
  const layer = await client.pushBlobBytes(repository, payload, SIMPLE_SIGNING_MEDIA_TYPE);
  const configType = mode === 'referrer' ? COSIGN_SIGNATURE_ARTIFACT_TYPE : MediaType.OciConfig;
  const config = await client.pushBlobBytes(
    repository,
    Buffer.from(
      mode === 'referrer'
        ? '{}'
        : JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] } }),
    ),
    configType,
  );
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers: [{ ...layer, annotations: { [SIGNATURE_ANNOTATION]: signature } }],
  };
  if (mode === 'referrer') {
    manifest.artifactType = COSIGN_SIGNATURE_ARTIFACT_TYPE;
    manifest.subject = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
  }
  const bytes = Buffer.from(JSON.stringify(manifest));
  const descriptor: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest: digestOf(bytes),
    size: bytes.byteLength,
    ...(mode === 'referrer' ? { artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE } : {}),
  };
  const reference = mode === 'tag' ? cosignSignatureTag(subject.digest) : descriptor.digest;
  const put = await client.putManifest(repository, reference, bytes, MediaType.OciManifest);
  if (mode === 'referrer' && !put.subjectIndexed)
    await client.addTagSchemaReferrer(repository, subject.digest, descriptor);
  return descriptor;
}
