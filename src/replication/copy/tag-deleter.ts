import { Injectable } from '@nestjs/common';
import { NotFoundError, UnsupportedError, type RegistryClient } from '../../oci/index.js';
import { headTag } from '../planning/tag-comparator.js';

/** Tags a registry without tag delete would need checked before a digest delete. */
const MAX_TAGS_TO_CHECK = 2000;

export interface DeleteJob {
  source: RegistryClient;
  sourceRepository: string;
  destination: RegistryClient;
  destinationRepository: string;
  tag: string;
  /** The digest regrelay wrote at the tag (from the ledger). */
  digest: string;
  /**
   * The tag fell out of the policy's retention-style selection (semver, latest): the
   * source still has it, and is not checked for it.
   */
  outOfSelection?: boolean;
  /**
   * Whether this owner synced `tag` between the two registries with the same digest:
   * wrote it at the destination, or (a dual-master pair) copied it from there.
   */
  syncedTag: (tag: string) => Promise<boolean>;
  signal: AbortSignal;
}

export type DeleteOutcome =
  | { result: 'deleted'; how: 'tag' | 'manifest' }
  /** Nothing to do: the tag had already left the destination. */
  | { result: 'gone'; reason: string }
  /** Nothing done; `keepLedger` when the tag is still ours and a later run may try again. */
  | { result: 'left'; reason: string; keepLedger: boolean };

/**
 * Propagates one tag deletion to a destination, checking everything again at the
 * moment of acting: the source must still lack the tag (an unreadable source means
 * no delete), and the destination must still hold the digest regrelay wrote. Deletes
 * the tag alone where the registry can; otherwise deletes the manifest by digest,
 * but only when every other tag pointing at it is also on its way out (synced by
 * this owner and gone from the source): a digest delete removes all of them.
 */
@Injectable()
export class TagDeleter {
  async delete(job: DeleteJob): Promise<DeleteOutcome> {
    const { signal } = job;
    if (!job.outOfSelection) {
      const atSource = await headTag(job.source, job.sourceRepository, job.tag, signal);
      if (atSource.kind === 'unreadable')
        throw new Error(`the source could not be checked before deleting: ${atSource.error}`);
      if (atSource.kind === 'present')
        return { result: 'left', reason: 'the source has the tag again', keepLedger: true };
    }

    const there = await job.destination.headManifest(job.destinationRepository, job.tag, {
      signal,
    });
    if (!there) return { result: 'gone', reason: 'already gone at the destination' };
    if (there.digest !== job.digest) {
      return {
        result: 'left',
        reason: `changed at the destination since regrelay wrote it (now ${there.digest}); left alone`,
        keepLedger: false,
      };
    }
    try {
      await job.destination.deleteTag(job.destinationRepository, job.tag, { signal });
      return { result: 'deleted', how: 'tag' };
    } catch (error) {
      if (!(error instanceof UnsupportedError)) throw error;
    }
    const sharing = await this.otherTagsAt(job);
    if (sharing === undefined) {
      return {
        result: 'left',
        reason: `the registry cannot delete a tag alone and the repository has over ${MAX_TAGS_TO_CHECK} tags to check`,
        keepLedger: true,
      };
    }
    if (sharing.length) {
      return {
        result: 'left',
        reason: `the registry cannot delete a tag alone, and ${sharing.slice(0, 5).join(', ')}${sharing.length > 5 ? '…' : ''} (still wanted) point(s) at the same manifest`,
        keepLedger: true,
      };
    }
    try {
      await job.destination.deleteManifest(job.destinationRepository, job.digest, { signal });
    } catch (error) {
      // Another task deleting a tag of the same manifest got there first.
      if (!(error instanceof NotFoundError)) throw error;
    }
    return { result: 'deleted', how: 'manifest' };
  }

  /**
   * Other tags in the destination repository pointing at the digest that are still
   * wanted, or undefined if too many to check. A tag leaving too — synced by this
   * owner with this digest and gone from the source — does not keep the manifest:
   * when a manifest is deleted at the source, all its tags go, and one digest delete
   * at the destination is exactly the same change.
   */
  private async otherTagsAt(job: DeleteJob): Promise<string[] | undefined> {
    const tags = (
      await job.destination.listTags(job.destinationRepository, { signal: job.signal })
    ).filter((t) => t !== job.tag);
    if (tags.length > MAX_TAGS_TO_CHECK) return undefined;
    const sharing: string[] = [];
    for (const tag of tags) {
      const state = await headTag(job.destination, job.destinationRepository, tag, job.signal);
      if (state.kind !== 'present' || state.descriptor.digest !== job.digest) continue;
      if (await this.leaving(job, tag)) continue;
      sharing.push(tag);
    }
    return sharing;
  }

  private async leaving(job: DeleteJob, tag: string): Promise<boolean> {
    if (!(await job.syncedTag(tag))) return false;
    const atSource = await headTag(job.source, job.sourceRepository, tag, job.signal);
    return atSource.kind === 'absent';
  }
}
