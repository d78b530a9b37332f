import {
  cosignTag,
  referrersTag,
  selectedCosignSuffixes,
  selectsArtifactType,
  type Descriptor,
  type ReferrerSelection,
  type RegistryClient,
} from '../../oci/index.js';

/** What is attached to one subject at one registry, as far as a selection cares. */
export interface AttachedState {
  /** cosign's tags of the subject that exist: tag → digest. */
  tags: Map<string, string>;
  /** Referrers of the selected artifact types, by digest. */
  referrers: Map<string, Descriptor>;
  /** How the registry lists referrers (unknown when it was not asked). */
  via?: 'api' | 'tag-schema';
}

export interface ReadOptions {
  /** The repository's tag listing, when one was made: tags it does not list are not asked for. */
  names?: ReadonlySet<string>;
  /** Ask only for these cosign tags, and for referrers only if `referrers` (comparing with a source). */
  only?: { tags: Iterable<string>; referrers: boolean };
}

/**
 * Reads what is attached to `subject` in a repository: cosign's `.sig`, `.att` and
 * `.sbom` tags (HEADs) and the referrers (the API, or the `sha256-<hex>` index).
 * A tag listing spares the requests for tags it does not list: a registry known to
 * lack the referrers API and listing no `sha256-<hex>` tag has no referrers for the
 * subject, so an image with nothing attached costs no request at all there.
 * Requests go out in parallel.
 */
export async function readAttached(
  client: RegistryClient,
  repository: string,
  subject: string,
  selection: ReferrerSelection,
  signal: AbortSignal,
  options: ReadOptions = {},
): Promise<AttachedState> {
  const { names, only } = options;
  const state: AttachedState = { tags: new Map(), referrers: new Map() };
  if (selection === 'none') return state;
  const wanted = only ? new Set(only.tags) : undefined;
  const tags = selectedCosignSuffixes(selection)
    .map((suffix) => cosignTag(subject, suffix))
    .filter((tag) => (!names || names.has(tag)) && (!wanted || wanted.has(tag)));
  // Listed tags tell whether a `sha256-<hex>` index exists; only the API may say more.
  const noIndexTag = names !== undefined && !names.has(referrersTag(subject));
  const listsNoIndex = noIndexTag && client.knownReferrersApi() === false;
  await Promise.all([
    ...tags.map(async (tag) => {
      const found = await client.headManifest(repository, tag, { signal });
      if (found) state.tags.set(tag, found.digest);
    }),
    (async () => {
      if (only && !only.referrers) return;
      if (listsNoIndex) {
        state.via = 'tag-schema';
        return;
      }
      const found = await client.referrers(repository, subject, {
        signal,
        tagSchema: !noIndexTag,
      });
      state.via = found.via;
      for (const d of found.descriptors)
        if (selectsArtifactType(selection, d.artifactType)) state.referrers.set(d.digest, d);
    })(),
  ]);
  return state;
}

/**
 * What the destination lacks of what the source has attached: cosign tags missing
 * or holding another digest, referrers it does not list. Empty when in step. What the
 * destination has besides (signatures added there) is not drift: it is left alone.
 */
export function missingAttached(source: AttachedState, destination: AttachedState): string[] {
  const missing: string[] = [];
  for (const [tag, digest] of source.tags)
    if (destination.tags.get(tag) !== digest) missing.push(tag);
  for (const [digest, d] of source.referrers)
    if (!destination.referrers.has(digest))
      missing.push(`${d.artifactType ?? 'referrer'} ${digest}`);
  return missing;
}

/** True when nothing is attached. */
export function isEmptyAttached(state: AttachedState): boolean {
  return state.tags.size === 0 && state.referrers.size === 0;
}
