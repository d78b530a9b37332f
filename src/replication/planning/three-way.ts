/**
 * The three-way comparison for a pair of writable registries (dual-master), pure.
 * For one tag: the digest last synced between the two sides (from the ledger; null
 * when never synced), and the digest each side holds now (null: absent). Blobs and
 * manifests are add-only and never conflict; only a tag can. Deletes leave a
 * tombstone: a tag deleted on one side and unchanged on the other is deleted on the
 * other, never synced back.
 */

export type Side = 'a' | 'b';

export type ThreeWayCase =
  | 'unchanged'
  | 'a-changed'
  | 'b-changed'
  | 'both-changed-same'
  | 'both-changed-differently'
  | 'created-on-a'
  | 'created-on-b'
  | 'created-on-both-same'
  | 'created-on-both-differently'
  | 'deleted-on-a'
  | 'deleted-on-b'
  | 'deleted-on-a-changed-on-b'
  | 'deleted-on-b-changed-on-a'
  | 'deleted-on-both'
  | 'absent';

export type ThreeWayDecision =
  /** Nothing to do (in step, or nothing anywhere). */
  | { action: 'none'; case: ThreeWayCase }
  /** Both sides hold the same digest now: nothing to copy; the new digest becomes the base. */
  | { action: 'record'; case: ThreeWayCase; digest: string }
  /** Copy `from` onto the other side. `report`: a deletion on the other side lost to a change. */
  | { action: 'copy'; case: ThreeWayCase; from: Side; digest: string; report: boolean }
  /** Delete the tag on side `on` (the other side deleted it; this side did not change it). */
  | { action: 'delete'; case: ThreeWayCase; on: Side }
  /** Both sides changed it differently: the conflict rule decides, or a person. */
  | { action: 'conflict'; case: ThreeWayCase; digests: Record<Side, string> }
  /** Gone on both sides: the base is forgotten. */
  | { action: 'forget'; case: ThreeWayCase };

export function threeWay(
  base: string | null,
  a: string | null,
  b: string | null,
): ThreeWayDecision {
  if (base === null) {
    if (a === null && b === null) return { action: 'none', case: 'absent' };
    if (b === null)
      return { action: 'copy', case: 'created-on-a', from: 'a', digest: a!, report: false };
    if (a === null)
      return { action: 'copy', case: 'created-on-b', from: 'b', digest: b, report: false };
    if (a === b) return { action: 'record', case: 'created-on-both-same', digest: a };
    return { action: 'conflict', case: 'created-on-both-differently', digests: { a, b } };
  }
  if (a === null && b === null) return { action: 'forget', case: 'deleted-on-both' };
  if (a === null) {
    return b === base
      ? { action: 'delete', case: 'deleted-on-a', on: 'b' }
      : { action: 'copy', case: 'deleted-on-a-changed-on-b', from: 'b', digest: b!, report: true };
  }
  if (b === null) {
    return a === base
      ? { action: 'delete', case: 'deleted-on-b', on: 'a' }
      : { action: 'copy', case: 'deleted-on-b-changed-on-a', from: 'a', digest: a, report: true };
  }
  if (a === base && b === base) return { action: 'none', case: 'unchanged' };
  if (b === base) return { action: 'copy', case: 'a-changed', from: 'a', digest: a, report: false };
  if (a === base) return { action: 'copy', case: 'b-changed', from: 'b', digest: b, report: false };
  if (a === b) return { action: 'record', case: 'both-changed-same', digest: a };
  return { action: 'conflict', case: 'both-changed-differently', digests: { a, b } };
}
