/**
 * Upload URLs come from the registry (`Location`), relative or absolute, often with
 * state in the query (`_state` in distribution). Never build them; only resolve and
 * add to them.
 */

/** Resolves a `Location` against the URL of the request that returned it. */
export function resolveLocation(
  location: string | string[] | undefined,
  base: URL,
): URL | undefined {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) return undefined;
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/** The upload URL with `digest=` added, keeping every parameter it already carries. */
export function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

/**
 * The offset the registry holds after an upload `Range: 0-N` (inclusive end), with or
 * without a `bytes=` prefix. distribution sends `0-0` for an empty session, which is
 * ambiguous with one byte; we read it as empty: chunks are never one byte long, and a
 * wrong guess only makes the registry refuse the digest, never commit wrong content.
 */
export function parseUploadRange(range: string | string[] | undefined): number | undefined {
  const value = Array.isArray(range) ? range[0] : range;
  if (value === undefined) return undefined;
  const match = /^\s*(?:bytes=)?(\d+)-(\d+)\s*$/.exec(value);
  if (!match) return undefined;
  const end = Number(match[2]);
  if (end === 0) return 0;
  return end + 1;
}

/** Parses `Link: <url>; rel="next"` (resolving a relative target against `base`). */
export function nextLink(header: string | string[] | undefined, base: URL): URL | undefined {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  for (const value of values) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
      if (match && /rel="?next"?/i.test(match[2]!)) {
        try {
          return new URL(match[1]!, base);
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}
