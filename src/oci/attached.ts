import { referrersTag } from './referrers.js';

/**
 * Artifacts attached to a manifest (its "subject"): what real tools push next to an
 * image and where they put it. Plain names and rules, no I/O.
 *
 * - OCI referrers (image-spec 1.1): a manifest whose `subject` is the image, listed
 *   by the registry's referrers API or, without one, in the `sha256-<hex>` tag's
 *   index (distribution-spec 1.1, "referrers tag schema"). Notation signatures are
 *   referrers of artifact type `application/vnd.cncf.notary.signature`.
 * - cosign's tag conventions (its default storage, SIGNATURE_SPEC.md): the
 *   signatures of `sha256:<hex>` in the tag `sha256-<hex>.sig`, attestations in
 *   `.att`, attached SBOMs in `.sbom`; each an image manifest with one layer per
 *   signature (simple-signing payloads, the signature in the
 *   `dev.cosignproject.cosign/signature` annotation), DSSE envelope or SBOM.
 */

export const CosignTagSuffixes = ['sig', 'att', 'sbom'] as const;
export type CosignTagSuffix = (typeof CosignTagSuffixes)[number];

export const AttachedMediaType = {
  /** cosign's simple-signing payload (a `.sig` layer). */
  SimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** A DSSE envelope around an in-toto statement (a `.att` layer). */
  DsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  /** A Notation signature manifest's artifact type (or config media type, before OCI 1.1). */
  NotarySignature: 'application/vnd.cncf.notary.signature',
  /** A Notation JWS signature envelope (its layer). */
  NotaryJws: 'application/jose+json',
  /** A sigstore bundle (cosign's referrers mode, `--new-bundle-format`). */
  SigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  InToto: 'application/vnd.in-toto+json',
  SpdxJson: 'application/spdx+json',
  CycloneDxJson: 'application/vnd.cyclonedx+json',
} as const;

export const CosignAnnotation = {
  Signature: 'dev.cosignproject.cosign/signature',
  Certificate: 'dev.sigstore.cosign/certificate',
  Chain: 'dev.sigstore.cosign/chain',
  Bundle: 'dev.sigstore.cosign/bundle',
} as const;

/**
 * The artifact type a cosign tag stands for: the type cosign itself gives the same
 * artifact when it stores it as an OCI referrer (`application/vnd.dev.cosign.artifact.<suffix>.v1+json`),
 * so one `referrers` list selects either form.
 */
export function cosignArtifactType(suffix: CosignTagSuffix): string {
  return `application/vnd.dev.cosign.artifact.${suffix}.v1+json`;
}

/** `sha256-<hex>.<suffix>`: where cosign keeps what it attaches to `subjectDigest`. */
export function cosignTag(subjectDigest: string, suffix: CosignTagSuffix): string {
  return `${referrersTag(subjectDigest)}.${suffix}`;
}

/** Every tag that may hold something attached to a subject: the referrers index, then cosign's. */
export function attachedTagNames(subjectDigest: string): string[] {
  return [
    referrersTag(subjectDigest),
    ...CosignTagSuffixes.map((s) => cosignTag(subjectDigest, s)),
  ];
}

/** What an attached-artifact tag is: the referrers index of a subject, or one of cosign's tags. */
export type AttachedTag =
  | { kind: 'referrers-index'; subject: string }
  | { kind: 'cosign'; subject: string; suffix: CosignTagSuffix };

const ATTACHED_TAG = /^sha256-([a-f0-9]{64})(?:\.(sig|att|sbom))?$/;

/**
 * The subject an attached-artifact tag belongs to, or undefined for any other tag.
 * Such tags are never selected by tag filters: they travel with their subject.
 */
export function parseAttachedTag(tag: string): AttachedTag | undefined {
  const match = ATTACHED_TAG.exec(tag);
  if (!match) return undefined;
  const subject = `sha256:${match[1]}`;
  const suffix = match[2] as CosignTagSuffix | undefined;
  return suffix ? { kind: 'cosign', subject, suffix } : { kind: 'referrers-index', subject };
}

/** What an attached artifact is, for counting (metrics labels must stay bounded). */
export type AttachedKind = 'signature' | 'attestation' | 'sbom' | 'other';

/** Classifies an artifact type (or a cosign tag's) into a kind people recognise. */
export function attachedKind(artifactType: string | undefined): AttachedKind {
  const t = (artifactType ?? '').toLowerCase();
  if (
    t === cosignArtifactType('sig') ||
    t === AttachedMediaType.NotarySignature ||
    t.includes('signature')
  )
    return 'signature';
  if (
    t === cosignArtifactType('att') ||
    t.startsWith('application/vnd.in-toto') ||
    t.startsWith('application/vnd.dev.sigstore.bundle') ||
    t.includes('attestation') ||
    t.includes('provenance')
  )
    return 'attestation';
  if (
    t === cosignArtifactType('sbom') ||
    t.includes('spdx') ||
    t.includes('cyclonedx') ||
    t.includes('syft')
  )
    return 'sbom';
  return 'other';
}

/**
 * Which attached artifacts to copy: every one, none, or those of the listed artifact
 * types (a cosign tag counts as the type cosignArtifactType gives it).
 */
export type ReferrerSelection = 'all' | 'none' | readonly string[];

export function selectsArtifactType(
  selection: ReferrerSelection,
  artifactType: string | undefined,
): boolean {
  if (selection === 'all') return true;
  if (selection === 'none') return false;
  return artifactType !== undefined && selection.includes(artifactType);
}

/** The cosign tags a selection wants. */
export function selectedCosignSuffixes(selection: ReferrerSelection): CosignTagSuffix[] {
  return CosignTagSuffixes.filter((s) => selectsArtifactType(selection, cosignArtifactType(s)));
}
