import type { Descriptor } from './descriptor.js';
import { children, parseObject } from './manifest-graph.js';
import { isIndex } from './media-types.js';

/**
 * The variants of an image an index may carry side by side: nydusify's
 * `--merge-platform` publishes the OCI image and its Nydus (RAFS) conversion in one
 * index, the Nydus entry marked by `artifactType:
 * application/vnd.nydus.image.manifest.v1+json` (nydusify ≥ 2.3.5) or, before, by
 * `platform.os.features: ["nydus.remoteimage.v1"]`.
 */
export const VARIANTS = ['all', 'oci', 'nydus'] as const;
export type Variants = (typeof VARIANTS)[number];

export const NYDUS_MANIFEST_ARTIFACT_TYPE = 'application/vnd.nydus.image.manifest.v1+json';
export const NYDUS_OS_FEATURE = 'nydus.remoteimage.v1';

export function isNydusEntry(entry: Descriptor): boolean {
  return (
    entry.artifactType === NYDUS_MANIFEST_ARTIFACT_TYPE ||
    (entry.platform?.['os.features'] ?? []).includes(NYDUS_OS_FEATURE)
  );
}

/** An index narrowed to one variant: new bytes (a new digest), the entries it keeps. */
export interface VariantIndex {
  bytes: Buffer;
  manifests: Descriptor[];
}

/**
 * The index holding only the chosen variant's entries, or undefined when the manifest
 * is to be copied as it is: `all`, not an index, or an index without both OCI and
 * Nydus entries (nothing to choose between). The new index is the source's JSON with
 * `manifests` narrowed, every other field kept, serialised compactly: the same source
 * index always gives the same bytes, so the same digest.
 */
export function variantIndex(
  bytes: Uint8Array,
  mediaType: string,
  variants: Variants,
): VariantIndex | undefined {
  if (variants === 'all' || !isIndex(mediaType)) return undefined;
  const entries = children(bytes, mediaType).manifests;
  const nydus = entries.filter(isNydusEntry);
  if (!nydus.length || nydus.length === entries.length) return undefined;
  const json = parseObject(bytes);
  const raw = json.manifests as Record<string, unknown>[];
  const keep = entries.map((e) => isNydusEntry(e) === (variants === 'nydus'));
  const manifests = entries.filter((_, i) => keep[i]);
  const narrowed = { ...json, manifests: raw.filter((_, i) => keep[i]) };
  return { bytes: Buffer.from(JSON.stringify(narrowed)), manifests };
}
