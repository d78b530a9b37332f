import { Injectable } from '@nestjs/common';
import { mapConcurrent } from '../../common/async-pool.js';
import {
  children,
  copyBlob,
  digestOf,
  isIndex,
  variantIndex,
  type BlobSource,
  type Descriptor,
  type Manifest,
  type PutManifestResult,
  type ReferrerSelection,
  type RegistryClient,
  type TokenBucket,
  type Variants,
} from '../../oci/index.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { AttachedCopy, type AttachedWrite, type GraphWriter } from './attached-copy.js';
import { BlobLocator } from './blob-locator.js';
import { KeyedMutex } from './keyed-mutex.js';
import { ScavengePacer } from './scavenge-pacer.js';
import { SharedBlobReads } from './shared-blob-reads.js';

/** Blobs (and child manifests) of one manifest copied at once. */
const PARALLEL_CHILDREN = 4;
/** Half of V8's 64 MiB external-memory step, leaving room for everything else read. */
const SCAVENGE_EVERY_BYTES = 32 * 1024 * 1024;

export interface CopyJob {
  sourceRegistryId: string;
  /** How many destinations the policy copies to (reads are shared when more than one). */
  destinations: number;
  source: RegistryClient;
  sourceRepository: string;
  destination: RegistryClient;
  destinationRegistryId: string;
  destinationRepository: string;
  /**
   * The destination repository listed no tags when the copy was planned, and this is
   * the first attempt: a blob this process has not written to that registry since is
   * uploaded without a HEAD first (see copyBlob's `knownAbsent`).
   */
  destinationEmpty?: boolean;
  /** The source digest planned for this task. */
  digest: string;
  /** Pushed under this tag at the end; null copies by digest only. */
  tag: string | null;
  signal: AbortSignal;
  /** The policy's bandwidth budget, shared by all its transfers. */
  throttle?: TokenBucket;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Which attached artifacts (signatures, attestations, SBOMs) travel with it; default all. */
  referrers?: ReferrerSelection;
  /**
   * Whether a cosign tag the destination holds with `current` may be replaced by the
   * source's; without it, only absent ones are written.
   */
  mayReplace?: (tag: string, current: string) => Promise<boolean>;
  /**
   * The source repository's tags, when the caller has listed them (undefined: not
   * known): a tag it does not list is not asked for.
   */
  sourceTags?: (repository: string) => Promise<ReadonlySet<string> | undefined>;
  /**
   * Of an index holding both OCI and Nydus entries, copy only these (a new index at
   * the destination, with a digest of its own). Default `all`: the index as it is.
   */
  variants?: Variants;
}

export interface CopyResult {
  /** Blob bytes sent to the destination. */
  bytesMoved: number;
  /** Size of every blob the artifact references (present, mounted or copied). */
  bytesTotal: number;
  /** Attached artifacts written (signatures, attestations, SBOMs, referrers indexes). */
  attached: AttachedWrite[];
  /** cosign tags left alone: the destination holds another digest regrelay did not write. */
  attachedHeld: string[];
  /**
   * The manifest written in place of the source's (a variant index): its own digest.
   * Absent when the destination got the source's bytes.
   */
  written?: { digest: string; size: number };
}

/**
 * Copies an artifact graph from a source repository to a destination repository:
 * children before parents (an index's manifests, a manifest's config and layers),
 * exact bytes (never re-serialised), then the top manifest by tag, then its
 * referrers (signatures, SBOMs). Each blob: HEAD skip, cross-repository mount where
 * the destination holds it elsewhere, else a streamed, verified copy. The same blob
 * to the same destination registry moves once at a time, across all tasks; the same
 * blob going to several destinations at once is read from the source once.
 */
@Injectable()
export class ArtifactCopier {
  private readonly blobTurns = new KeyedMutex();
  private readonly manifestTurns = new KeyedMutex();
  private readonly locator = new BlobLocator();
  /**
   * The copies of one artifact to a policy's destinations are claimed together
   * (TaskQueue.claim), but each checks its own destination before reading, so the
   * last may open a blob a few hundred ms after the first on busy registries: the
   * window allows for that, and the replay is freed once every destination joined.
   */
  private readonly sharedReads = new SharedBlobReads({
    joinWindowMs: 1000,
    laneBufferBytes: 8 * 1024 * 1024,
    replayLimitBytes: 16 * 1024 * 1024,
    stallGraceMs: 500,
  });
  /** Frees the read buffers young: see ScavengePacer. */
  private readonly scavenges = new ScavengePacer(SCAVENGE_EVERY_BYTES);

  constructor(private readonly metrics: ReplicationMetrics) {}

  async copy(job: CopyJob): Promise<CopyResult> {
    const run = new CopyRun(job, this);
    // A variant index is written (children first) by `variant`; else the source's bytes.
    const written = await run.variant();
    if (!written && job.tag) await run.tagged(job.digest, job.tag);
    else if (!written) await run.byDigest(job.digest);
    const attached = new AttachedCopy(job, run);
    // What is attached to the source index names it, not the index written instead.
    await attached.copy(job.digest, { subject: !written });
    return {
      bytesMoved: run.bytesMoved,
      bytesTotal: run.bytesTotal,
      attached: attached.written,
      attachedHeld: attached.held,
      ...(written ? { written } : {}),
    };
  }

  /**
   * @internal One blob, serialised per (destination registry, digest). `onRead` gets
   * how far into the blob the stream has got (for progress while a monolithic upload
   * is still in flight); the result says how many bytes the destination accepted.
   */
  async blob(
    job: CopyJob,
    descriptor: Descriptor,
    onRead: (position: number) => void,
  ): Promise<{ result: 'skipped' | 'mounted' | 'copied'; bytes: number }> {
    const key = `${job.destinationRegistryId}|${descriptor.digest}`;
    return this.blobTurns.run(key, async () => {
      const known = this.locator.find(job.destinationRegistryId, descriptor.digest);
      const [destination, source] = await Promise.all([
        this.metrics.registryName(job.destinationRegistryId),
        this.metrics.registryName(job.sourceRegistryId),
      ]);
      this.metrics.transfersInFlight.inc();
      try {
        const result = await copyBlob(
          job.source,
          job.sourceRepository,
          job.destination,
          job.destinationRepository,
          descriptor,
          {
            signal: job.signal,
            mountFrom: known !== job.destinationRepository ? known : undefined,
            // Known here to be somewhere at that registry: ask (or mount) as usual.
            knownAbsent: job.destinationEmpty === true && known === undefined,
            source: this.sourceOf(job, descriptor.digest, source, onRead),
          },
        );
        this.locator.remember(
          job.destinationRegistryId,
          descriptor.digest,
          job.destinationRepository,
        );
        this.metrics.blobs.inc({ destination, result: result.result });
        return { result: result.result, bytes: result.bytes };
      } finally {
        this.metrics.transfersInFlight.dec();
      }
    });
  }

  /**
   * A blob's bytes at the source, read once for the destinations copying it at the
   * same time (see SharedBlobReads), counted as they leave the source, and reported
   * as read by this destination (paced by the policy's limit when it has one).
   */
  private sourceOf(
    job: CopyJob,
    digest: string,
    registryName: string,
    onPosition: (position: number) => void,
  ): BlobSource {
    const origin = job.source.blobSource(job.sourceRepository, digest);
    const sourceBytes = this.metrics.sourceBytes.labels({ registry: registryName });
    const counter = {
      inc: (bytes: number) => {
        sourceBytes.inc(bytes);
        this.scavenges.read(bytes);
      },
    };
    // With one destination there is nobody to share with: skip the replay's memory,
    // and count and report in one pass.
    if (job.destinations <= 1) return metered(origin, onPosition, job.throttle, counter);
    const counted = metered(origin, () => undefined, undefined, counter);
    const shared = this.sharedReads.source(
      `${job.sourceRegistryId}|${digest}`,
      counted,
      job.destinations,
    );
    return metered(shared, onPosition, job.throttle);
  }

  /**
   * @internal Writes to one manifest reference (tag or digest) of a destination
   * repository, one at a time. Two tasks may write the same reference (a subject's
   * referrers tag, copied with the subject and as a tag of its own), and
   * distribution's filesystem storage corrupts its link files when the same tag is
   * written concurrently (it then answers DIGEST_INVALID). Tag-schema updates
   * (GET, append, PUT) need the same exclusion to not lose entries.
   */
  manifestTurn<T>(job: CopyJob, reference: string, work: () => Promise<T>): Promise<T> {
    return this.manifestTurns.run(
      `${job.destinationRegistryId}|${job.destinationRepository}|${reference}`,
      work,
    );
  }
}

/** The state of one artifact copy: counters and the graph walk. */
class CopyRun implements GraphWriter {
  bytesMoved = 0;
  bytesDone = 0;
  bytesTotal = 0;
  /** Manifests read from the source by this copy: an index's children, or none. */
  private readonly read = new Map<string, Descriptor[]>();

  constructor(
    private readonly job: CopyJob,
    private readonly copier: ArtifactCopier,
  ) {}

  /**
   * With a variants choice, an index holding both OCI and Nydus entries is written as
   * a new index of the chosen entries (after them), under the task's tag or by its
   * own digest. Returns what was written, or undefined when the source's manifest is
   * to be copied as it is.
   */
  async variant(): Promise<{ digest: string; size: number } | undefined> {
    const { job } = this;
    if (!job.variants || job.variants === 'all') return undefined;
    const manifest = await job.source.getManifest(job.sourceRepository, job.digest, {
      signal: job.signal,
    });
    const { mediaType } = manifest.descriptor;
    const narrowed = variantIndex(manifest.bytes, mediaType, job.variants);
    if (!narrowed) return undefined;
    this.read.set(job.digest, narrowed.manifests);
    await mapConcurrent(narrowed.manifests, PARALLEL_CHILDREN, (child) =>
      this.byDigest(child.digest),
    );
    const digest = digestOf(narrowed.bytes);
    const reference = job.tag ?? digest;
    await this.copier.manifestTurn(job, reference, () =>
      job.destination.putManifest(job.destinationRepository, reference, narrowed.bytes, mediaType, {
        signal: job.signal,
      }),
    );
    return { digest, size: narrowed.bytes.byteLength };
  }

  /** Copies a manifest's graph, then pushes its exact bytes under a tag. */
  async tagged(digest: string, tag: string): Promise<Manifest> {
    const manifest = await this.graph(digest);
    await this.copier.manifestTurn(this.job, tag, () => this.put(tag, manifest));
    return manifest;
  }

  /**
   * Makes sure the destination holds a manifest by digest, copying its graph if not.
   * The check and the write happen in one turn per digest: distribution re-writes a
   * manifest's link file on every push, and an index pushed while a child's link is
   * being re-written fails verification (DIGEST_INVALID). Returns the push result,
   * or undefined when the manifest was already there.
   */
  async byDigest(digest: string): Promise<PutManifestResult | undefined> {
    const { job } = this;
    return this.copier.manifestTurn(job, digest, async () => {
      if (
        await job.destination.headManifest(job.destinationRepository, digest, {
          signal: job.signal,
        })
      )
        return undefined;
      return this.put(digest, await this.graph(digest));
    });
  }

  /** Copies what a manifest references (child manifests, config, layers); returns its bytes. */
  private async graph(digest: string): Promise<Manifest> {
    const { job } = this;
    const manifest = await job.source.getManifest(job.sourceRepository, digest, {
      signal: job.signal,
    });
    const { mediaType } = manifest.descriptor;
    const graph = children(manifest.bytes, mediaType);
    this.read.set(digest, graph.manifests);
    if (isIndex(mediaType)) {
      // A manifest the registry holds has all its blobs: nothing below it to do.
      await mapConcurrent(graph.manifests, PARALLEL_CHILDREN, (child) =>
        this.byDigest(child.digest),
      );
    }
    const blobs = [...(graph.config ? [graph.config] : []), ...graph.layers];
    this.bytesTotal += blobs.reduce((sum, b) => sum + b.size, 0);
    this.report();
    await mapConcurrent(blobs, PARALLEL_CHILDREN, async (blob) => {
      let counted = 0;
      const { bytes } = await this.copier.blob(job, blob, (position) => {
        if (position <= counted) return;
        this.bytesDone += position - counted;
        counted = position;
        this.report();
      });
      this.bytesMoved += bytes;
      this.bytesDone += blob.size - counted; // skipped or mounted: in place all the same
      this.report();
    });
    return manifest;
  }

  private put(reference: string, manifest: Manifest): Promise<PutManifestResult> {
    const { job } = this;
    return job.destination.putManifest(
      job.destinationRepository,
      reference,
      manifest.bytes,
      manifest.descriptor.mediaType,
      {
        signal: job.signal,
      },
    );
  }

  async childrenOf(digest: string): Promise<Descriptor[]> {
    const { job } = this;
    const known = this.read.get(digest);
    if (known) return known;
    // Already at the destination (not read by this copy): ask the source what it is.
    const head = await job.source.headManifest(job.sourceRepository, digest, {
      signal: job.signal,
    });
    if (!head || !isIndex(head.mediaType)) return [];
    const manifest = await job.source.getManifest(job.sourceRepository, digest, {
      signal: job.signal,
    });
    return children(manifest.bytes, manifest.descriptor.mediaType).manifests;
  }

  turn<T>(reference: string, work: () => Promise<T>): Promise<T> {
    return this.copier.manifestTurn(this.job, reference, work);
  }

  private report(): void {
    this.job.onProgress?.(this.bytesDone, this.bytesTotal);
  }
}

/**
 * Wraps a blob source, in one pass per chunk: counts the bytes read (`counter`), reports
 * how far into the blob reading has got, and passes the bytes through the policy's
 * token bucket when it has a bandwidth limit.
 */
function metered(
  source: BlobSource,
  onPosition: (position: number) => void,
  bucket?: TokenBucket,
  counter?: { inc(bytes: number): void },
): BlobSource {
  return {
    async open(offset, signal) {
      const stream = await source.open(offset, signal);
      return (async function* () {
        let position = offset;
        for await (const chunk of stream) {
          counter?.inc(chunk.byteLength);
          if (bucket) await bucket.take(chunk.byteLength, signal);
          yield chunk;
          position += chunk.byteLength;
          onPosition(position);
        }
      })();
    },
  };
}
