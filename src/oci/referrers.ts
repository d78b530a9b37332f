import type { Descriptor } from './descriptor.js';
import { NotFoundError, ProtocolError } from './errors.js';
import { ManifestParseError, children } from './manifest-graph.js';
import type { ManifestOps } from './manifests.js';
import { MediaType, baseMediaType } from './media-types.js';
import { assertDigest, splitDigest } from './reference.js';
import type { Transport } from './request.js';
import { repositoryScope } from './scope.js';
import { nextLink } from './upload-location.js';

export interface ReferrersResult {
  descriptors: Descriptor[];
  /** Where the answer came from. */
  via: 'api' | 'tag-schema';
}

/** The fallback tag for a subject: `sha256-<hex>`. */
export function referrersTag(subjectDigest: string): string {
  const [algorithm, encoded] = splitDigest(subjectDigest);
  return `${algorithm}-${encoded}`;
}

const MAX_REFERRERS_BYTES = 4 << 20;
/** Pages of one referrers answer followed (distribution-spec allows `Link` pagination). */
const MAX_REFERRER_PAGES = 50;

/**
 * How long an endpoint that showed it has no referrers API is believed: long enough
 * that copying thousands of tags asks once, short enough that an upgraded registry
 * is noticed without a restart.
 */
export const NO_REFERRERS_API_RECHECK_MS = 10 * 60_000;

export class ReferrerOps {
  /** Until when the tag schema is used without asking the API (see NO_REFERRERS_API_RECHECK_MS). */
  private noApiUntil = 0;
  /** Whether any answer has shown if the endpoint has the API (until then, ask one at a time). */
  private verdict = false;
  /** The first question to an endpoint, while it is in flight. */
  private probing?: Promise<unknown>;

  constructor(
    private readonly t: Transport,
    private readonly manifests: ManifestOps,
  ) {}

  /**
   * Referrers of a subject: the referrers API when the registry has it (it never
   * answers 404 then), else the tag schema. `artifactType` filters on either path,
   * also when a registry ignores the filter. `tagSchema: false` (the caller knows no
   * `sha256-<hex>` tag exists) answers an empty tag-schema list without asking.
   */
  async list(
    repository: string,
    subjectDigest: string,
    options: { artifactType?: string; signal?: AbortSignal; tagSchema?: boolean } = {},
  ): Promise<ReferrersResult> {
    assertDigest(this.t.registry, repository, subjectDigest);
    const fromApi = await this.askApi(repository, subjectDigest, options);
    const result = fromApi ?? {
      descriptors:
        options.tagSchema === false
          ? []
          : await this.viaTagSchema(repository, subjectDigest, options.signal),
      via: 'tag-schema' as const,
    };
    if (options.artifactType) {
      result.descriptors = result.descriptors.filter(
        (d) => d.artifactType === options.artifactType,
      );
    }
    return result;
  }

  /**
   * What answers so far showed: true (it has the API), false (it has not, recently),
   * undefined (not asked yet, or long enough ago to ask again). Asks nothing.
   */
  knownApi(): boolean | undefined {
    if (!this.verdict) return undefined;
    if (Date.now() < this.noApiUntil) return false;
    return this.noApiUntil === 0 ? true : undefined;
  }

  /** True when the registry serves the referrers API. */
  async hasApi(repository: string, subjectDigest: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.viaApi(repository, subjectDigest, { signal })) !== undefined;
  }

  /**
   * The API unless the endpoint recently showed it has none. The very first question
   * goes alone: the tasks of a copy start together, and without this each of them
   * would probe a registry that has no API before the first answer is remembered.
   */
  private async askApi(
    repository: string,
    subjectDigest: string,
    options: { artifactType?: string; signal?: AbortSignal },
  ): Promise<ReferrersResult | undefined> {
    if (!this.verdict && this.probing) await this.probing;
    if (Date.now() < this.noApiUntil) return undefined;
    const asking = this.viaApi(repository, subjectDigest, options);
    if (!this.verdict && !this.probing) {
      // Waiters only need it settled; its failure is the asker's to handle.
      this.probing = asking.finally(() => (this.probing = undefined)).catch(() => undefined);
    }
    return asking;
  }

  private async viaApi(
    repository: string,
    subjectDigest: string,
    options: { artifactType?: string; signal?: AbortSignal },
  ): Promise<ReferrersResult | undefined> {
    let url: URL | undefined = new URL(
      `/v2/${repository}/referrers/${subjectDigest}`,
      this.t.options.baseUrl,
    );
    if (options.artifactType) url.searchParams.set('artifactType', options.artifactType);
    const descriptors: Descriptor[] = [];
    for (let page = 0; url && page < MAX_REFERRER_PAGES; page++) {
      let response;
      try {
        response = await this.t.send({
          method: 'GET',
          url,
          scopes: [repositoryScope(repository, 'pull')],
          context: { repository, reference: subjectDigest },
          headers: { accept: MediaType.OciIndex },
          expect: [200],
          maxBodyBytes: MAX_REFERRERS_BYTES,
          signal: options.signal,
        });
      } catch (error) {
        if (error instanceof NotFoundError && page === 0) {
          // A 404 without an OCI error code is a route the registry does not have
          // (distribution 2.8.2). One with a code (NAME_UNKNOWN…) may come from a registry
          // that has the API but not this repository: that says nothing about the endpoint.
          if (!error.code) this.rememberNoApi();
          return undefined;
        }
        throw error;
      }
      // A registry without the API may still answer 200 with something else (HTML).
      if (baseMediaType(String(response.headers['content-type'] ?? '')) !== MediaType.OciIndex) {
        if (page > 0)
          throw new ProtocolError('a referrers page is not an OCI index', {
            ...this.t.context({ repository, reference: subjectDigest }),
          });
        this.rememberNoApi();
        return undefined;
      }
      this.noApiUntil = 0;
      this.verdict = true;
      descriptors.push(...this.parseIndex(response.bytes, repository, subjectDigest));
      url = nextLink(response.headers.link, response.url);
    }
    return { descriptors, via: 'api' };
  }

  private rememberNoApi(): void {
    this.verdict = true;
    this.noApiUntil = Date.now() + NO_REFERRERS_API_RECHECK_MS;
  }

  private async viaTagSchema(repository: string, subjectDigest: string, signal?: AbortSignal) {
    try {
      const index = await this.manifests.get(repository, referrersTag(subjectDigest), { signal });
      return this.parseIndex(index.bytes, repository, subjectDigest);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
  }

  /**
   * Adds a referrer to the `sha256-<hex>` index (GET, append, PUT), for registries
   * without the API. Idempotent by digest. Not atomic: two writers racing on one
   * subject can lose an entry; the engine serialises per subject.
   */
  async addToTagSchema(
    repository: string,
    subjectDigest: string,
    referrer: Descriptor,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.ensureInTagSchema(repository, subjectDigest, [referrer], signal);
  }

  /**
   * Makes the `sha256-<hex>` index list every one of `referrers` (in one GET and at
   * most one PUT), keeping the entries it already has. Returns the index written, or
   * undefined when it already listed them all.
   */
  async ensureInTagSchema(
    repository: string,
    subjectDigest: string,
    referrers: readonly Descriptor[],
    signal?: AbortSignal,
  ): Promise<{ digest: string; size: number } | undefined> {
    assertDigest(this.t.registry, repository, subjectDigest);
    const current = await this.viaTagSchema(repository, subjectDigest, signal);
    const known = new Set(current.map((d) => d.digest));
    const added: Descriptor[] = [];
    for (const referrer of referrers) {
      if (known.has(referrer.digest)) continue;
      known.add(referrer.digest);
      const entry: Descriptor = {
        mediaType: referrer.mediaType,
        digest: referrer.digest,
        size: referrer.size,
      };
      if (referrer.artifactType) entry.artifactType = referrer.artifactType;
      if (referrer.annotations) entry.annotations = referrer.annotations;
      added.push(entry);
    }
    if (!added.length) return undefined;
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [...current, ...added],
    };
    const bytes = Buffer.from(JSON.stringify(index));
    const put = await this.manifests.put(
      repository,
      referrersTag(subjectDigest),
      bytes,
      MediaType.OciIndex,
      { signal },
    );
    return { digest: put.digest, size: bytes.byteLength };
  }

  private parseIndex(bytes: Uint8Array, repository: string, subjectDigest: string): Descriptor[] {
    try {
      return children(bytes, MediaType.OciIndex).manifests;
    } catch (error) {
      if (error instanceof ManifestParseError) {
        throw new ProtocolError(`the referrers index is malformed: ${error.message}`, {
          ...this.t.context({ repository, reference: subjectDigest }),
        });
      }
      throw error;
    }
  }
}
