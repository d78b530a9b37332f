import { mapConcurrent } from '../../common/async-pool.js';
import type { NameFilter } from '../../policies/name-filter.js';
import type { LedgerService, WrittenTag } from '../ledger/ledger.service.js';
import type { PlannedTask } from './task-batch.js';
import { headTag, type PlanDestination } from './tag-comparator.js';

/** Why deletions were held back for a destination. */
export interface GuardDecision {
  destinationRegistryId: string;
  reason: 'source_empty' | 'too_many';
  deletions: number;
  replicated: number;
}

/** Tags that left the source, by where they stand at their destination. */
export interface GoneTags {
  deletable: WrittenTag[];
  changed: (WrittenTag & { now: string })[];
  absent: WrittenTag[];
  unreadable: WrittenTag[];
}

export interface DeletionPlan {
  tasks: PlannedTask[];
  guarded: GuardDecision[];
}

/**
 * Decides what to delete at destinations for a policy with `deletion` on, from the
 * ledger: a tag this policy wrote whose source tag is gone is deleted, but only
 * while the destination still holds the digest regrelay wrote there (a newer push by
 * someone else is left alone and the ledger forgets the tag). A deletion guard holds
 * every delete of a destination when the plan would remove more than `share` of the
 * tags replicated there, or when the source listed nothing while the ledger holds
 * tags (an expired credential often looks like an empty registry).
 */
export class DeletionPlanner {
  private readonly gone: WrittenTag[] = [];
  private readonly seenRepositories = new Set<string>();
  private sourceTags = 0;

  constructor(
    private readonly ledger: LedgerService,
    private readonly policyId: string,
    private readonly destinations: PlanDestination[],
    private readonly share: number,
    private readonly signal: AbortSignal,
  ) {}

  /** A source repository was listed whole: ledger tags it no longer has are gone. */
  async repositoryListed(repository: string, tags: ReadonlySet<string>): Promise<void> {
    this.seenRepositories.add(repository);
    this.sourceTags += tags.size;
    for (const row of await this.ledger.fromSourceRepository(this.policyId, repository)) {
      if (!tags.has(row.tag)) this.gone.push(row);
    }
  }

  /** Named tags (an event's) were looked up: the ones absent at the source are gone. */
  async tagsChecked(
    repository: string,
    present: readonly string[],
    absent: readonly string[],
  ): Promise<void> {
    this.seenRepositories.add(repository);
    this.sourceTags += present.length;
    if (!absent.length) return;
    this.gone.push(...(await this.ledger.fromSourceRepository(this.policyId, repository, absent)));
  }

  /**
   * After a walk of the whole policy: repositories the ledger knows, that the
   * filters still select, and that the source no longer lists, are gone whole.
   */
  async walkCompleted(repositories: NameFilter): Promise<void> {
    const rows = await this.ledger.fromOtherRepositories(this.policyId, [...this.seenRepositories]);
    this.gone.push(...rows.filter((row) => repositories.matches(row.sourceRepository)));
  }

  /**
   * Where each tag that left the source stands at its destination, without changing
   * anything: still holding what regrelay wrote (to delete), changed since (someone
   * else's now), already gone, or unreadable.
   */
  async classify(): Promise<GoneTags> {
    const byDestination = new Map(this.destinations.map((d) => [d.registryId, d]));
    const result: GoneTags = { deletable: [], changed: [], absent: [], unreadable: [] };
    await mapConcurrent(this.gone, 8, async (row) => {
      const destination = byDestination.get(row.destinationRegistryId);
      if (!destination) return; // no longer a destination of this policy: not ours to touch
      const state = await headTag(destination.client, row.repository, row.tag, this.signal);
      if (state.kind === 'absent') result.absent.push(row);
      else if (state.kind === 'unreadable') result.unreadable.push(row);
      else if (state.descriptor.digest !== row.digest)
        result.changed.push({ ...row, now: state.descriptor.digest });
      else result.deletable.push(row);
    });
    return result;
  }

  /**
   * The delete tasks for an execution (pending, skipped or held by the guard), and
   * which destinations the guard held. Tags that are gone or changed at the
   * destination leave the ledger: they are no longer regrelay's to delete.
   */
  async plan(completeWalk: boolean): Promise<DeletionPlan> {
    const gone = await this.classify();
    const tasks: PlannedTask[] = [];
    for (const row of gone.absent) await this.forget(row);
    for (const row of gone.changed) {
      tasks.push(
        deleteTask(
          row,
          'skipped',
          `changed at the destination since regrelay wrote it (now ${row.now}); left alone`,
        ),
      );
      await this.forget(row);
    }
    // Unreadable destinations get a task too: it checks again before deleting.
    const deletions = new Map<string, PlannedTask[]>();
    for (const row of [...gone.deletable, ...gone.unreadable]) {
      const list = deletions.get(row.destinationRegistryId) ?? [];
      list.push(deleteTask(row, 'pending', null));
      deletions.set(row.destinationRegistryId, list);
    }
    const guarded: GuardDecision[] = [];
    const replicated = await this.ledger.countByDestination(this.policyId);
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

  private forget(row: WrittenTag): Promise<void> {
    return this.ledger.forget(this.policyId, row.destinationRegistryId, row.repository, row.tag);
  }
}

function deleteTask(
  row: WrittenTag,
  status: PlannedTask['status'],
  reason: string | null,
): PlannedTask {
  return {
    operation: 'delete',
    destinationRegistryId: row.destinationRegistryId,
    sourceRepository: row.sourceRepository,
    destinationRepository: row.repository,
    tag: row.tag,
    digest: row.digest,
    mediaType: null,
    status,
    reason,
  };
}
