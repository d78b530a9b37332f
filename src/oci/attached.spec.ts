import { describe, expect, it } from '@jest/globals';
import {
  attachedKind,
  attachedTagNames,
  cosignArtifactType,
  parseAttachedTag,
  selectedCosignSuffixes,
  selectsArtifactType,
} from './attached.js';

const HEX = 'c'.repeat(64);
const DIGEST = `sha256:${HEX}`;

describe('attached-artifact conventions', () => {
  it('names the tags that may hold what is attached to a subject', () => {
    expect(attachedTagNames(DIGEST)).toEqual([
      `sha256-${HEX}`,
      `sha256-${HEX}.sig`,
      `sha256-${HEX}.att`,
      `sha256-${HEX}.sbom`,
    ]);
  });

  it.each([
    [`sha256-${HEX}`, { kind: 'referrers-index', subject: DIGEST }],
    [`sha256-${HEX}.sig`, { kind: 'cosign', subject: DIGEST, suffix: 'sig' }],
    [`sha256-${HEX}.sbom`, { kind: 'cosign', subject: DIGEST, suffix: 'sbom' }],
    [`sha256-${HEX}.sig2`, undefined],
    [`sha256-${HEX.slice(1)}.sig`, undefined],
    [`sha256-${HEX.toUpperCase()}`, undefined],
    ['v1.0', undefined],
    [`v1-sha256-${HEX}`, undefined],
  ])('reads %s as %j', (tag, expected) => {
    expect(parseAttachedTag(tag)).toEqual(expected);
  });

  it('selects artifact types: all, none, or a list (cosign tags by their OCI 1.1 types)', () => {
    expect(selectsArtifactType('all', undefined)).toBe(true);
    expect(selectsArtifactType('none', 'application/spdx+json')).toBe(false);
    expect(selectsArtifactType(['application/spdx+json'], 'application/spdx+json')).toBe(true);
    expect(selectsArtifactType(['application/spdx+json'], undefined)).toBe(false);
    expect(selectedCosignSuffixes([cosignArtifactType('att')])).toEqual(['att']);
    expect(selectedCosignSuffixes('all')).toEqual(['sig', 'att', 'sbom']);
  });

  it.each([
    [cosignArtifactType('sig'), 'signature'],
    ['application/vnd.cncf.notary.signature', 'signature'],
    [cosignArtifactType('att'), 'attestation'],
    ['application/vnd.dev.sigstore.bundle.v0.3+json', 'attestation'],
    ['application/vnd.in-toto+json', 'attestation'],
    [cosignArtifactType('sbom'), 'sbom'],
    ['application/spdx+json', 'sbom'],
    ['application/vnd.cyclonedx+json', 'sbom'],
    ['application/vnd.nydus.image.manifest.v1+json', 'other'],
    [undefined, 'other'],
  ])('counts %s as a %s', (type, kind) => {
    expect(attachedKind(type)).toBe(kind);
  });
});
