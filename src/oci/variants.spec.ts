import { describe, expect, it } from '@jest/globals';
import { digestOf } from './digest-stream.js';
import { MediaType } from './media-types.js';
import { NYDUS_MANIFEST_ARTIFACT_TYPE, NYDUS_OS_FEATURE, variantIndex } from './variants.js';

const entry = (n: string, extra: object = {}) => ({
  mediaType: MediaType.OciManifest,
  digest: `sha256:${n.repeat(64)}`,
  size: 100,
  platform: { architecture: 'amd64', os: 'linux' },
  ...extra,
});
const oci = entry('a');
const nydusNew = entry('b', { artifactType: NYDUS_MANIFEST_ARTIFACT_TYPE });
const nydusOld = entry('c', {
  platform: { architecture: 'amd64', os: 'linux', 'os.features': [NYDUS_OS_FEATURE] },
});
const index = (manifests: object[], extra: object = {}) =>
  Buffer.from(
    JSON.stringify(
      { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests, ...extra },
      null,
      2,
    ),
  );

describe('variantIndex', () => {
  it.each([
    ['oci', nydusNew, [oci]],
    ['nydus', nydusNew, [nydusNew]],
    ['oci', nydusOld, [oci]],
    ['nydus', nydusOld, [nydusOld]],
  ] as const)(
    'keeps the %s entries of an index with a Nydus entry (%#)',
    (variants, nydus, kept) => {
      const source = index([oci, nydus], { annotations: { 'org.example': 'x' } });
      const narrowed = variantIndex(source, MediaType.OciIndex, variants)!;
      expect(JSON.parse(narrowed.bytes.toString())).toEqual({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: kept,
        annotations: { 'org.example': 'x' },
      });
      expect(narrowed.manifests).toEqual(kept);
      // The same source gives the same bytes, so the same digest, every time.
      expect(digestOf(variantIndex(source, MediaType.OciIndex, variants)!.bytes)).toBe(
        digestOf(narrowed.bytes),
      );
      expect(digestOf(narrowed.bytes)).not.toBe(digestOf(source));
    },
  );

  it('leaves alone what has nothing to choose between', () => {
    expect(variantIndex(index([oci, nydusNew]), MediaType.OciIndex, 'all')).toBeUndefined();
    expect(variantIndex(index([oci, entry('d')]), MediaType.OciIndex, 'nydus')).toBeUndefined();
    expect(variantIndex(index([nydusNew]), MediaType.OciIndex, 'oci')).toBeUndefined();
    expect(variantIndex(Buffer.from('{}'), MediaType.OciManifest, 'oci')).toBeUndefined();
  });
});
