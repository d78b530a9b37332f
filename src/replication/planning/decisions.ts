import type { AttachedDiff } from './attached-comparison.js';
import type { TagState } from './tag-state.js';

/**
 * The comparison step, pure: what one source tag calls for at one destination, and
 * what a tag regrelay wrote calls for once the source no longer has it. The planner
 * turns decisions into tasks, the reconciler into drift; neither compares on its own.
 */

/** What to do about one source tag at one destination. */
export type CopyDecision =
  /** Copy it: the destination lacks the tag, holds another digest (override on), or could not be asked (the task checks again). */
  | { action: 'copy'; destination: 'absent' | 'different' | 'unreadable' }
  /** Leave it: already there, or another digest is there and override is off. */
  | { action: 'skip'; destination: 'same' | 'different'; reason: string }
  /** The source tag could not be read: nothing can be decided. */
  | { action: 'fail'; reason: string }
  /** The source does not have the tag: nothing to copy (deleting is the ledger's question). */
  | { action: 'none' };

export function decideCopy(
  source: TagState,
  destination: TagState,
  override: boolean,
): CopyDecision {
  if (source.kind === 'absent') return { action: 'none' };
  if (source.kind === 'unreadable')
    return { action: 'fail', reason: `could not read the source tag: ${source.error}` };
  if (destination.kind === 'absent') return { action: 'copy', destination: 'absent' };
  if (destination.kind === 'unreadable') return { action: 'copy', destination: 'unreadable' };
  const there = destination.descriptor.digest;
  if (there === source.descriptor.digest)
    return { action: 'skip', destination: 'same', reason: 'already present' };
  if (!override) {
    return {
      action: 'skip',
      destination: 'different',
      reason: `the destination tag points at ${there}; override is off`,
    };
  }
  return { action: 'copy', destination: 'different' };
}

/** What a tag regrelay wrote calls for, now that its source tag is gone. */
export type DeletionDecision =
  /** The destination still holds what regrelay wrote: a delete candidate. */
  | { action: 'delete' }
  /** The destination could not be asked: a delete task checks again before acting. */
  | { action: 'recheck' }
  /** Already gone at the destination: the ledger forgets it. */
  | { action: 'forget' }
  /** Changed at the destination since regrelay wrote it: someone else's now. */
  | { action: 'leave'; now: string; reason: string };

export function decideDeletion(
  written: { digest: string },
  destination: TagState,
): DeletionDecision {
  if (destination.kind === 'absent') return { action: 'forget' };
  if (destination.kind === 'unreadable') return { action: 'recheck' };
  const now = destination.descriptor.digest;
  if (now === written.digest) return { action: 'delete' };
  return {
    action: 'leave',
    now,
    reason: `changed at the destination since regrelay wrote it (now ${now}); left alone`,
  };
}

/** What a subject's attached artifacts call for at one destination holding the subject. */
export type AttachedDecision =
  /** Copy what is attached (a copy by digest of the subject brings it). */
  | { action: 'copy'; missing: string[] }
  /** In step, or the destination could not be asked (the next run asks again). */
  | { action: 'none' };

export function decideAttached(diff: AttachedDiff): AttachedDecision {
  return diff.kind === 'missing' ? { action: 'copy', missing: diff.missing } : { action: 'none' };
}
