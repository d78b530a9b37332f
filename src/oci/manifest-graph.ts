import type { Descriptor } from './descriptor.js';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES } from './media-types.js';
import { isDigest } from './reference.js';

/**
 * Reads the references out of manifest bytes without ever re-serialising them: the
 * copier walks the graph from here and pushes the original bytes.
 */

export interface ManifestChildren {
  /** Image manifests: the config blob. */
  config?: Descriptor;
  /** Image manifests: layer blobs (and artifact blobs). */
  layers: Descriptor[];
  /** Indexes: child manifests. */
  manifests: Descriptor[];
  /** The manifest this one refers to (signatures, SBOMs). Not a child to copy first. */
  subject?: Descriptor;
}

export class ManifestParseError extends Error {}

/**
 * The descriptors a manifest references. Unknown media types are opaque: no children
 * (the caller copies them as bytes). Throws ManifestParseError for a known type whose
 * bytes are not a JSON object or whose descriptors are malformed.
 */
export function children(bytes: Uint8Array, mediaType: string): ManifestChildren {
  const known = INDEX_TYPES.includes(mediaType) || IMAGE_MANIFEST_TYPES.includes(mediaType);
  if (!known) return { layers: [], manifests: [] };
  const json = parseObject(bytes);
  const result: ManifestChildren = { layers: [], manifests: [] };
  if (INDEX_TYPES.includes(mediaType)) {
    result.manifests = descriptorList(json.manifests, 'manifests');
  } else {
    if (json.config !== undefined) result.config = descriptor(json.config, 'config');
    // The deprecated artifact manifest calls its blobs `blobs`.
    result.layers = descriptorList(json.layers ?? json.blobs, 'layers');
  }
  if (json.subject !== undefined) result.subject = descriptor(json.subject, 'subject');
  return result;
}

/** `artifactType` of a manifest (or its config media type, as the referrers API does). */
export function artifactTypeOf(bytes: Uint8Array, mediaType: string): string | undefined {
  if (!IMAGE_MANIFEST_TYPES.includes(mediaType) && !INDEX_TYPES.includes(mediaType))
    return undefined;
  const json = parseObject(bytes);
  if (typeof json.artifactType === 'string') return json.artifactType;
  const config = json.config as { mediaType?: unknown } | undefined;
  return typeof config?.mediaType === 'string' ? config.mediaType : undefined;
}

/** Manifest annotations, for referrer descriptors. */
export function annotationsOf(bytes: Uint8Array): Record<string, string> | undefined {
  try {
    const json = parseObject(bytes);
    const a = json.annotations;
    return a && typeof a === 'object' ? (a as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `mediaType` field of a manifest, for registries that send a useless Content-Type. */
export function embeddedMediaType(bytes: Uint8Array): string | undefined {
  try {
    const json = parseObject(bytes);
    return typeof json.mediaType === 'string' ? json.mediaType : undefined;
  } catch {
    return undefined;
  }
}

export function parseObject(bytes: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
  } catch (error) {
    throw new ManifestParseError(`not valid JSON: ${(error as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new ManifestParseError('not a JSON object');
  }
  return json as Record<string, unknown>;
}

function descriptorList(value: unknown, field: string): Descriptor[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ManifestParseError(`${field} is not an array`);
  return value.map((entry, i) => descriptor(entry, `${field}[${i}]`));
}

function descriptor(value: unknown, field: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (
    !d ||
    typeof d !== 'object' ||
    typeof d.mediaType !== 'string' ||
    typeof d.digest !== 'string' ||
    !isDigest(d.digest) ||
    typeof d.size !== 'number' ||
    !Number.isSafeInteger(d.size) ||
    d.size < 0
  ) {
    throw new ManifestParseError(`${field} is not a valid descriptor`);
  }
  return d as Descriptor;
}
