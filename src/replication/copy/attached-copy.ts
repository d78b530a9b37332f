import {
  NotFoundError,
  cosignArtifactType,
  parseAttachedTag,
  referrersTag,
  type Descriptor,
  type PutManifestResult,
  type ReferrerSelection,
} from '../../oci/index.js';
import { readAttached } from '../attached/attached-state.js';
import type { CopyJob } from './artifact-copier.js';

/** Referrers of referrers (a signature of an SBOM) are followed this deep. */
const REFERRER_DEPTH = 2;

/** Something attached that a copy wrote at the destination. */
export interface AttachedWrite {
  /** The tag written (a cosign tag, a referrers index), or null: a referrer pushed by digest. */
  tag: string | null;
  digest: string;
  /** The manifest it is attached to. */
  subject: string;
  artifactType?: string;
  /** A `sha256-<hex>` index kept for a destination without the referrers API: bookkeeping, not an artifact. */
  index: boolean;
}

/** What the attached copy needs of the graph copy it follows. */
export interface GraphWriter {
  /** Copies a manifest's graph and pushes it under a tag. */
  tagged(digest: string, tag: string): Promise<unknown>;
  /** Makes sure the destination holds a manifest by digest; the push result, or undefined when it was there. */
  byDigest(digest: string): Promise<PutManifestResult | undefined>;
  /** An index's child manifests as copied (empty for anything else). */
  childrenOf(digest: string): Promise<Descriptor[]>;
  /** Writes to one destination reference, one at a time (see ArtifactCopier.manifestTurn). */
  turn<T>(reference: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Copies what is attached to a subject, whatever the tag filters said about the
 * tags that hold it: its OCI referrers (read through the source's referrers API or
 * its `sha256-<hex>` index; at the destination listed by its API, or in an index
 * regrelay keeps up to date there, adding to what it lists), cosign's `.sig`, `.att`
 * and `.sbom` tags, the same for each child of an index (cosign `--recursive`,
 * per-platform SBOMs), and referrers of referrers. `selection` picks artifact types.
 *
 * A cosign tag the destination holds with another digest is replaced only where
 * `mayReplace` allows it (regrelay wrote what is there, or override is on): cosign
 * appends signatures to that tag, so the source's is usually the newer.
 */
export class AttachedCopy {
  readonly written: AttachedWrite[] = [];
  /** Tags left alone because the destination holds something regrelay did not write there. */
  readonly held: string[] = [];
  private readonly selection: ReferrerSelection;

  constructor(
    private readonly job: CopyJob,
    private readonly graph: GraphWriter,
  ) {
    this.selection = job.referrers ?? 'all';
  }

  /**
   * Everything attached to `subject` and, for an index, to each of its children as
   * copied; `subject: false` leaves out what names the subject itself (a variant index
   * was written in its place).
   */
  async copy(subject: string, options: { subject: boolean } = { subject: true }): Promise<void> {
    if (this.selection === 'none') return;
    const names = await this.job.sourceTags?.(this.job.sourceRepository);
    if (options.subject) await this.of(subject, 0, names);
    for (const child of await this.graph.childrenOf(subject)) await this.of(child.digest, 0, names);
  }

  private async of(
    subject: string,
    depth: number,
    names: ReadonlySet<string> | undefined,
  ): Promise<void> {
    const { job } = this;
    const found = await readAttached(
      job.source,
      job.sourceRepository,
      subject,
      this.selection,
      job.signal,
      { names },
    );
    const referrers = [...found.referrers.values()];
    if (referrers.length) await this.referrers(subject, referrers);
    for (const [tag, digest] of found.tags) await this.cosignTag(subject, tag, digest);
    if (depth + 1 < REFERRER_DEPTH)
      for (const referrer of referrers) await this.of(referrer.digest, depth + 1, names);
  }

  /**
   * Pushes the referrers the destination does not list (by digest), then, where the
   * destination lists referrers in the tag schema, makes its index list them.
   */
  private async referrers(subject: string, referrers: Descriptor[]): Promise<void> {
    const { job } = this;
    const there = await job.destination.referrers(job.destinationRepository, subject, {
      signal: job.signal,
    });
    const listed = new Set(there.descriptors.map((d) => d.digest));
    const missing: Descriptor[] = [];
    let indexed = there.via === 'api';
    for (const referrer of referrers) {
      if (listed.has(referrer.digest)) continue;
      let put: PutManifestResult | undefined;
      try {
        put = await this.graph.byDigest(referrer.digest);
      } catch (error) {
        // A tag-schema index may list a referrer deleted since: nothing to copy.
        if (error instanceof NotFoundError && error.reference === referrer.digest) continue;
        throw error;
      }
      missing.push(referrer);
      if (put?.subjectIndexed) indexed = true;
      if (put) {
        this.written.push({
          tag: null,
          digest: referrer.digest,
          subject,
          artifactType: referrer.artifactType,
          index: false,
        });
      }
    }
    if (indexed || !missing.length) return;
    const tag = referrersTag(subject);
    const index = await this.graph.turn(tag, () =>
      job.destination.ensureTagSchemaReferrers(job.destinationRepository, subject, missing, {
        signal: job.signal,
      }),
    );
    if (index) this.written.push({ tag, digest: index.digest, subject, index: true });
  }

  private async cosignTag(subject: string, tag: string, digest: string): Promise<void> {
    const { job } = this;
    const there = await job.destination.headManifest(job.destinationRepository, tag, {
      signal: job.signal,
    });
    if (there?.digest === digest) return;
    if (there && !(await (job.mayReplace?.(tag, there.digest) ?? Promise.resolve(false)))) {
      this.held.push(tag);
      return;
    }
    await this.graph.tagged(digest, tag);
    const parsed = parseAttachedTag(tag);
    this.written.push({
      tag,
      digest,
      subject,
      artifactType: parsed?.kind === 'cosign' ? cosignArtifactType(parsed.suffix) : undefined,
      index: false,
    });
  }
}
