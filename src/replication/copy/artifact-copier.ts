import { Injectable } from '@nestjs/common';
import { mapConcurrent } from '../../common/async-pool.js';
import {
  children,
  copyBlob,
  isIndex,
  referrersTag,
  type BlobSource,
  type Descriptor,
  type Manifest,
  type PutManifestResult,
  type RegistryClient,
  type TokenBucket,
} from '../../oci/index.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { BlobLocator } from './blob-locator.js';
import { KeyedMutex } from './keyed-mutex.js';

/** Blobs (and child manifests) of one manifest copied at once. */
const PARALLEL_CHILDREN = 4;
/** Referrers of referrers (a signature of an SBOM) are followed this deep. */
const REFERRER_DEPTH = 2;

export interface CopyJob {
  source: RegistryClient;
  sourceRepository: string;
  destination: RegistryClient;
  destinationRegistryId: string;
  destinationRepository: string;
  /** The source digest planned for this task. */
  digest: string;
  /** Pushed under this tag at the end; null copies by digest only. */
  tag: string | null;
  signal: AbortSignal;
  /** The policy's bandwidth budget, shared by all its transfers. */
  throttle?: TokenBucket;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface CopyResult {
  /** Blob bytes sent to the destination. */
  bytesMoved: number;
  /** Size of every blob the artifact references (present, mounted or copied). */
  bytesTotal: number;
  /** What the destination now holds at the tag (the same bytes, so the same digest). */
  digest: string;
}

/**
 * Copies an artifact graph from a source repository to a destination repository:
 * children before parents (an index's manifests, a manifest's config and layers),
 * exact bytes (never re-serialised), then the top manifest by tag, then its
 * referrers (signatures, SBOMs). Each blob: HEAD skip, cross-repository mount where
 * the destination holds it elsewhere, else a streamed, verified copy. The same blob
 * to the same destination registry moves once at a time, across all tasks.
 */
@Injectable()
export class ArtifactCopier {
  private readonly blobTurns = new KeyedMutex();
  private readonly referrerTurns = new KeyedMutex();
  private readonly locator = new BlobLocator();

  constructor(private readonly metrics: ReplicationMetrics) {}

  async copy(job: CopyJob): Promise<CopyResult> {
    const run = new CopyRun(job, this);
    const top = await run.manifest(job.digest, job.tag ?? job.digest);
    await run.referrers(job.digest, 0);
    return {
      bytesMoved: run.bytesMoved,
      bytesTotal: run.bytesTotal,
      digest: top.manifest.descriptor.digest,
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
      const destination = await this.metrics.nameOf('registry', job.destinationRegistryId);
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
            source: metered(
              job.source.blobSource(job.sourceRepository, descriptor.digest),
              onRead,
              job.throttle,
            ),
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

  /** @internal tag-schema index updates, serialised per subject (GET-append-PUT is not atomic). */
  referrerTurn<T>(job: CopyJob, subject: string, work: () => Promise<T>): Promise<T> {
    return this.referrerTurns.run(
      `${job.destinationRegistryId}|${job.destinationRepository}|${subject}`,
      work,
    );
  }
}

/** The state of one artifact copy: counters and the graph walk. */
class CopyRun {
  bytesMoved = 0;
  bytesDone = 0;
  bytesTotal = 0;

  constructor(
    private readonly job: CopyJob,
    private readonly copier: ArtifactCopier,
  ) {}

  /** Copies a manifest's graph, then pushes its exact bytes under `reference`. */
  async manifest(
    digest: string,
    reference: string,
  ): Promise<{ manifest: Manifest; put: PutManifestResult }> {
    const { job } = this;
    const manifest = await job.source.getManifest(job.sourceRepository, digest, {
      signal: job.signal,
    });
    const { mediaType } = manifest.descriptor;
    const graph = children(manifest.bytes, mediaType);
    if (isIndex(mediaType)) {
      await mapConcurrent(graph.manifests, PARALLEL_CHILDREN, async (child) => {
        const present = await job.destination.headManifest(
          job.destinationRepository,
          child.digest,
          { signal: job.signal },
        );
        // A manifest the registry accepted has all its blobs; nothing below it to do.
        if (!present) await this.manifest(child.digest, child.digest);
      });
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
    const put = await job.destination.putManifest(
      job.destinationRepository,
      reference,
      manifest.bytes,
      mediaType,
      {
        signal: job.signal,
      },
    );
    return { manifest, put };
  }

  /**
   * Copies what refers to `subject`. From a registry with the referrers API, each
   * referrer is pushed by digest, and listed in the destination's `sha256-<hex>` tag
   * where the destination does not index referrers itself. From a registry using the
   * tag schema, that tag's index is copied as it is (its manifests first), so both
   * sides hold the same bytes and a later plan sees no difference.
   */
  async referrers(subject: string, depth: number): Promise<void> {
    const { job } = this;
    const found = await job.source.referrers(job.sourceRepository, subject, { signal: job.signal });
    if (!found.descriptors.length) return;
    if (found.via === 'tag-schema') {
      const tag = referrersTag(subject);
      const index = await job.source.headManifest(job.sourceRepository, tag, {
        signal: job.signal,
      });
      if (index)
        await this.copier.referrerTurn(job, subject, () => this.manifest(index.digest, tag));
    } else {
      for (const referrer of found.descriptors) {
        const { put } = await this.manifest(referrer.digest, referrer.digest);
        if (!put.subjectIndexed) {
          await this.copier.referrerTurn(job, subject, () =>
            job.destination.addTagSchemaReferrer(job.destinationRepository, subject, referrer, {
              signal: job.signal,
            }),
          );
        }
      }
    }
    if (depth + 1 < REFERRER_DEPTH) {
      for (const referrer of found.descriptors) await this.referrers(referrer.digest, depth + 1);
    }
  }

  private report(): void {
    this.job.onProgress?.(this.bytesDone, this.bytesTotal);
  }
}

/**
 * Wraps a blob source: reports how far into the blob reading has got, and passes the
 * bytes through a shared token bucket when the policy has a bandwidth limit.
 */
function metered(
  source: BlobSource,
  onPosition: (position: number) => void,
  bucket?: TokenBucket,
): BlobSource {
  return {
    async open(offset, signal) {
      const stream = await source.open(offset, signal);
      return (async function* () {
        let position = offset;
        for await (const chunk of stream) {
          if (bucket) await bucket.take(chunk.byteLength, signal);
          yield chunk;
          position += chunk.byteLength;
          onPosition(position);
        }
      })();
    },
  };
}
