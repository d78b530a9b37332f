import { Injectable } from '@nestjs/common';
import {
  NotFoundError,
  UnsupportedError,
  children,
  isDigest,
  isIndex,
  type RegistryClient,
} from '../../oci/index.js';
import { LedgerService, type WrittenTag } from '../ledger/ledger.service.js';
import type { ExecutionOwner } from '../owners/execution-owner.js';

/** Referrers of referrers are followed this deep when their subject goes. */
const MAX_DEPTH = 4;

export interface AttachedDeleteJob {
  owner: ExecutionOwner;
  destination: RegistryClient;
  destinationRegistryId: string;
  destinationRepository: string;
  signal: AbortSignal;
}

/**
 * Deletes what regrelay attached to a subject at a destination once the subject has
 * gone from there: the signatures, attestations, SBOMs and referrers indexes the
 * ledger says this owner wrote for it, for its children (an index's platforms) and
 * for those artifacts in turn. Only what regrelay wrote and the destination still
 * holds as written: a cosign tag re-pushed there since is someone else's and stays.
 */
@Injectable()
export class AttachedDeleter {
  constructor(private readonly ledger: LedgerService) {}

  /**
   * The subjects whose attached artifacts go with `digest`: itself and, for an index,
   * its children, read at the destination before it is deleted. Nothing is read when
   * this owner attached nothing in that repository.
   */
  async subjectsOf(job: AttachedDeleteJob, digest: string): Promise<string[]> {
    const { destination, destinationRepository: repository, signal } = job;
    if (!(await this.ledger.hasAttached(job.owner, job.destinationRegistryId, repository)))
      return [];
    try {
      const manifest = await destination.getManifest(repository, digest, { signal });
      if (!isIndex(manifest.descriptor.mediaType)) return [digest];
      const graph = children(manifest.bytes, manifest.descriptor.mediaType);
      return [digest, ...graph.manifests.map((m) => m.digest)];
    } catch (error) {
      if (error instanceof NotFoundError) return [digest];
      throw error;
    }
  }

  /** Deletes what is attached to `subjects`; returns how many artifacts went. */
  async deleteFor(job: AttachedDeleteJob, subjects: readonly string[]): Promise<number> {
    const seen = new Set(subjects);
    let frontier = [...subjects];
    let deleted = 0;
    for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
      const rows = await this.ledger.attachedTo(
        job.owner,
        job.destinationRegistryId,
        job.destinationRepository,
        frontier,
      );
      frontier = [];
      // Referrers and cosign tags first, the `sha256-<hex>` indexes listing them last.
      rows.sort((a, b) => Number(isIndexTag(a)) - Number(isIndexTag(b)));
      for (const row of rows) {
        if (await this.deleteOne(job, row)) deleted++;
        await this.ledger.forget(job.owner, job.destinationRegistryId, row.repository, row.tag);
        if (!seen.has(row.digest)) {
          seen.add(row.digest);
          frontier.push(row.digest);
        }
      }
    }
    return deleted;
  }

  private async deleteOne(job: AttachedDeleteJob, row: WrittenTag): Promise<boolean> {
    const { destination, destinationRepository: repository, signal } = job;
    if (isDigest(row.tag)) return this.deleteManifest(job, row.digest);
    const there = await destination.headManifest(repository, row.tag, { signal });
    if (!there || there.digest !== row.digest) return false; // gone, or someone else's now
    try {
      await destination.deleteTag(repository, row.tag, { signal });
      return true;
    } catch (error) {
      if (!(error instanceof UnsupportedError)) throw error;
    }
    // The registry cannot delete a tag alone; the manifest is this tag's only.
    return this.deleteManifest(job, row.digest);
  }

  private async deleteManifest(job: AttachedDeleteJob, digest: string): Promise<boolean> {
    try {
      await job.destination.deleteManifest(job.destinationRepository, digest, {
        signal: job.signal,
      });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }
}

function isIndexTag(row: WrittenTag): boolean {
  return /^sha256-[a-f0-9]{64}$/.test(row.tag);
}
