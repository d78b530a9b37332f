import { mapConcurrent } from '../../common/async-pool.js';
import type { NameFilter } from '../../policies/name-filter.js';
import type { LedgerService, WrittenTag } from '../ledger/ledger.service.js';
import type { ExecutionOwner } from '../owners/execution-owner.js';
import { decideDeletion, type DeletionDecision } from './decisions.js';
import type { PlanDestination } from './plan-destination.js';
import type { PlannedTask } from './task-batch.js';
import { headTag } from './tag-comparator.js';

/** Why deletions were held back for a destination. */
export interface GuardDecision {
  destinationRegistryId: string;
  reason: 'source_empty' | 'too_many';
  deletions: number;
  replicated: number;
}

/** A tag that left the source (or the selection), with what it calls for at its destination. */
export interface GoneTag {
  written: WrittenTag;
  decision: DeletionDecision;
  /** The source still has it; the policy's retention-style selection (semver, latest) dropped it. */
  outOfSelection: boolean;
}

export interface DeletionPlan {
  tasks: PlannedTask[];
  guarded: GuardDecision[];
}

/**
 * Decides what to delete at destinations for an owner that propagates deletions,
 * from the ledger: a tag this owner wrote from the source whose source tag is gone is
 * deleted, but only while the destination still holds the digest regrelay wrote
 * there (a newer push by someone else is left alone and the ledger forgets the tag).
 * A deletion guard holds every delete of a destination when the plan would remove
 * more than `share` of the tags replicated there, or when the source listed nothing
 * while the ledger holds tags (an expired credential often looks like an empty
 * registry).
 */
export class DeletionPlanner {
  private readonly gone: WrittenTag[] = [];
  /** Of `gone`, the tags the source still has, out of the policy's selection. */
  private readonly dropped = new Set<WrittenTag>();
  private readonly seenRepositories = new Set<string>();
  private sourceTags = 0;

  constructor(
    private readonly ledger: LedgerService,
    private readonly owner: ExecutionOwner,
    private readonly sourceRegistryId: string,
    private readonly destinations: PlanDestination[],
    private readonly share: number,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * A source repository was listed whole: ledger tags it no longer has are gone, and
   * so are those it has that the selection no longer wants (`unselected`).
   */
  async repositoryListed(
    repository: string,
    tags: ReadonlySet<string>,
    unselected: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    this.seenRepositories.add(repository);
    this.sourceTags += tags.size;
    for (const row of await this.ledger.fromOrigin(this.owner, this.sourceRegistryId, repository)) {
      if (!tags.has(row.tag)) this.gone.push(row);
      else if (unselected.has(row.tag)) this.drop(row);
    }
  }

  private drop(row: WrittenTag): void {
    this.gone.push(row);
    this.dropped.add(row);
  }

  /** Named tags (an event's) were looked up: the ones absent at the source are gone. */
  async tagsChecked(
    repository: string,
    present: readonly string[],
    absent: readonly string[],
    unselected: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    this.seenRepositories.add(repository);
    this.sourceTags += present.length;
    if (absent.length) {
      this.gone.push(
        ...(await this.ledger.fromOrigin(this.owner, this.sourceRegistryId, repository, absent)),
      );
    }
    if (unselected.size) {
      const rows = await this.ledger.fromOrigin(this.owner, this.sourceRegistryId, repository, [
        ...unselected,
      ]);
      for (const row of rows) this.drop(row);
    }
  }

  /**
   * After a walk of everything the filters select: repositories the ledger knows,
   * that the filters still select, and that the source no longer lists, are gone whole.
   */
  async walkCompleted(repositories: Pick<NameFilter, 'matches'>): Promise<void> {
    const rows = await this.ledger.fromOtherRepositories(this.owner, this.sourceRegistryId, [
      ...this.seenRepositories,
    ]);
    this.gone.push(...rows.filter((row) => repositories.matches(row.originRepository)));
  }

  /**
   * What each tag that left the source calls for at its destination, without
   * changing anything (see decideDeletion).
   */
  async classify(): Promise<GoneTag[]> {
    const byDestination = new Map(this.destinations.map((d) => [d.registryId, d]));
    const result: GoneTag[] = [];
    await mapConcurrent(this.gone, 8, async (written) => {
      const destination = byDestination.get(written.destinationRegistryId);
      if (!destination) return; // no longer a destination of this owner: not ours to touch
      const state = await headTag(destination.client, written.repository, written.tag, this.signal);
      result.push({
        written,
        decision: decideDeletion(written, state),
        outOfSelection: this.dropped.has(written),
      });
    });
    return result;
  }

  /**
   * The delete tasks for an execution (pending, skipped or held by the guard), and
   * which destinations the guard held. Tags that are gone or changed at the
   * destination leave the ledger: they are no longer regrelay's to delete.
   */
  async plan(completeWalk: boolean): Promise<DeletionPlan> {
    const tasks: PlannedTask[] = [];
    // Unreadable destinations get a task too: it checks again before deleting.
    const deletions = new Map<string, PlannedTask[]>();
    for (const { written, decision, outOfSelection } of await this.classify()) {
      if (decision.action === 'forget' || decision.action === 'leave') {
        if (decision.action === 'leave')
          tasks.push(deleteTask(written, 'skipped', decision.reason, outOfSelection));
        await this.ledger.forget(
          this.owner,
          written.destinationRegistryId,
          written.repository,
          written.tag,
          written.digest,
        );
        continue;
      }
      const list = deletions.get(written.destinationRegistryId) ?? [];
      list.push(deleteTask(written, 'pending', null, outOfSelection));
      deletions.set(written.destinationRegistryId, list);
    }
    const guarded: GuardDecision[] = [];
    const replicated = await this.ledger.countByDestination(this.owner);
    for (const [destinationRegistryId, planned] of deletions) {
      const total = replicated.get(destinationRegistryId) ?? 0;
      const reason =
        completeWalk && this.sourceTags === 0 && total > 0
          ? 'source_empty'
          : planned.length > 1 && planned.length > this.share * total
            ? 'too_many'
            : undefined;
      if (reason) {
        guarded.push({
          destinationRegistryId,
          reason,
          deletions: planned.length,
          replicated: total,
        });
        tasks.push(
          ...planned.map((t) => ({
            ...t,
            status: 'held' as const,
            reason: `held by the deletion guard (${reason})`,
          })),
        );
      } else {
        tasks.push(...planned);
      }
    }
    return { tasks, guarded };
  }
}

function deleteTask(
  row: WrittenTag,
  status: PlannedTask['status'],
  reason: string | null,
  outOfSelection: boolean,
): PlannedTask {
  return {
    ...(outOfSelection ? { outOfSelection } : {}),
    operation: 'delete',
    sourceRegistryId: row.originRegistryId,
    sourceRepository: row.originRepository,
    destinationRegistryId: row.destinationRegistryId,
    destinationRepository: row.repository,
    tag: row.tag,
    digest: row.digest,
    mediaType: null,
    status,
    reason,
  };
}
