import { createPublicKey, createHash, verify, type KeyObject } from 'node:crypto';
import {
  AttachedMediaType,
  CosignAnnotation,
  cosignArtifactType,
  cosignTag,
} from '../../oci/attached.js';

/**
 * cosign's signature format (sigstore/cosign specs/SIGNATURE_SPEC.md): an image
 * manifest whose layers are simple-signing payloads, each carrying its base64
 * ECDSA signature in an annotation. cosign stores it under the tag
 * `sha256-<hex>.sig` by default, or as an OCI 1.1 referrer of the image (artifact
 * type below) with `--registry-referrers-mode=oci-1-1`.
 */
export const SIMPLE_SIGNING_MEDIA_TYPE = AttachedMediaType.SimpleSigning;
export const SIGNATURE_ANNOTATION = CosignAnnotation.Signature;
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = cosignArtifactType('sig');
/** `critical.type` of every cosign image signature. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** Payloads are a few hundred bytes; anything far larger is not a signature. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Where cosign puts the signatures of `digest` by default: `sha256-<hex>.sig`. */
export function cosignSignatureTag(digest: string): string {
  return cosignTag(digest, 'sig');
}

/** A signed layer of a signature manifest: the payload blob and its signature. */
export interface SignedLayer {
  digest: string;
  size: number;
  signature: string;
}

/** The layers of a signature manifest that carry a cosign signature. */
export function signedLayers(manifestBytes: Buffer): SignedLayer[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    return [];
  }
  const layers = (manifest as { layers?: unknown }).layers;
  if (!Array.isArray(layers)) return [];
  return layers.flatMap((layer: unknown) => {
    const l = layer as {
      digest?: unknown;
      size?: unknown;
      annotations?: Record<string, unknown>;
    };
    const signature = l.annotations?.[SIGNATURE_ANNOTATION];
    if (typeof l.digest !== 'string' || typeof l.size !== 'number' || typeof signature !== 'string')
      return [];
    return [{ digest: l.digest, size: l.size, signature }];
  });
}

/** Reads a PEM public key; only ECDSA P-256 keys are accepted (what cosign generates). */
export function parsePublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1')
    throw new Error(
      `expected an ECDSA P-256 public key, got ${key.asymmetricKeyType ?? 'unknown'}${details?.namedCurve ? ` (${details.namedCurve})` : ''}`,
    );
  return key;
}

/** A short, stable name for a key in evidence: sha256 of its DER encoding. */
export function keyFingerprint(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export type Verification = { ok: true } | { ok: false; why: string };

/**
 * Checks one simple-signing payload: the ECDSA signature (ASN.1 DER, SHA-256) over
 * the exact payload bytes verifies with `key`, the payload is a cosign image
 * signature, and its `critical.image.docker-manifest-digest` is `digest`.
 */
export function verifySimpleSigning(
  payload: Buffer,
  signatureBase64: string,
  key: KeyObject,
  digest: string,
): Verification {
  const signature = Buffer.from(signatureBase64, 'base64');
  if (!signature.length) return { ok: false, why: 'the signature annotation is empty' };
  if (!verify('sha256', payload, key, signature))
    return { ok: false, why: 'the signature does not verify with the configured key' };
  let body: { critical?: { type?: unknown; image?: Record<string, unknown> } };
  try {
    body = JSON.parse(payload.toString('utf8')) as typeof body;
  } catch {
    return { ok: false, why: 'the signed payload is not JSON' };
  }
  if (body.critical?.type !== COSIGN_SIGNATURE_TYPE)
    return {
      ok: false,
      why: `the signed payload's critical.type is ${JSON.stringify(body.critical?.type)}, not "${COSIGN_SIGNATURE_TYPE}"`,
    };
  // Go's JSON decoding (cosign's) matches keys case-insensitively; so do we.
  const image = body.critical?.image ?? {};
  const named = Object.entries(image).find(
    ([k]) => k.toLowerCase() === 'docker-manifest-digest',
  )?.[1];
  if (named !== digest)
    return {
      ok: false,
      why: `the signed payload names ${JSON.stringify(named ?? null)}, not ${digest}`,
    };
  return { ok: true };
}
