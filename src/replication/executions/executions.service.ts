import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  In,
  type DataSource,
  type EntityManager,
  type FindOptionsWhere,
  type Repository,
} from 'typeorm';
import { isUniqueViolation, notFound } from '../../common/errors.js';
import { queryRows } from '../../database/sql.js';
import { PoliciesService } from '../../policies/policies.service.js';
import { RegistriesService } from '../../registries/registries.service.js';
import type { ExecutionDto, TaskCountsDto, TaskDto } from '../dto/execution.dto.js';
import { EventBus } from '../event-bus.js';
import {
  policyOwner,
  type ExecutionOwner,
  type ExecutionSettings,
  type OwnerKind,
} from '../owners/execution-owner.js';
import { ExecutionOwners, ownerKey } from '../owners/execution-owners.js';
import { settingsOf } from '../owners/policy-settings.js';
import { insertTasks, type PlannedTask } from '../planning/task-batch.js';
import { TaskEntity, TASK_STATUSES } from '../tasks/task.entity.js';
import { ExecutionFinisher } from './execution-finisher.js';
import {
  ExecutionEntity,
  ownerOf,
  type ExecutionScope,
  type ExecutionStatus,
  type ExecutionTrigger,
} from './execution.entity.js';
import { mergeScopes } from './scope.js';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

interface TaskTotals {
  counts: TaskCountsDto;
  bytesTotal: number;
  bytesDone: number;
  referrersCopied: number;
}

/** An execution created with its tasks: it runs them without planning. */
export interface PlannedExecution {
  owner: ExecutionOwner;
  trigger: ExecutionTrigger;
  settings: ExecutionSettings;
  tasks: readonly PlannedTask[];
  reason?: string | null;
  message?: string | null;
  /** Its id when the caller needs to know it first (a copy is its own owner). */
  id?: string;
}

@Injectable()
export class ExecutionsService {
  constructor(
    @InjectRepository(ExecutionEntity) private readonly executions: Repository<ExecutionEntity>,
    @InjectRepository(TaskEntity) private readonly tasks: Repository<TaskEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policies: PoliciesService,
    private readonly registries: RegistriesService,
    private readonly owners: ExecutionOwners,
    private readonly bus: EventBus,
    private readonly finisher: ExecutionFinisher,
  ) {}

  /** Runs a policy (or joins its waiting execution); 409 when the policy is disabled. */
  async trigger(
    policyId: string,
    trigger: ExecutionTrigger,
    scope: ExecutionScope | null = null,
  ): Promise<{ execution: ExecutionEntity; coalesced: boolean }> {
    const policy = await this.policies.get(policyId);
    if (!policy.enabled)
      throw new ConflictException(`Policy ${policy.name} is disabled; enable it to run it`);
    return this.enqueue(policyOwner(policyId), trigger, scope, settingsOf(policy));
  }

  /**
   * Starts an execution of an owner that plans, or joins the one already waiting: at
   * most one runs and one waits per owner, so triggers arriving while it runs
   * coalesce into a single follow-up instead of piling up. Joining widens the waiting
   * execution's scope and gives it the newest settings.
   */
  async enqueue(
    owner: ExecutionOwner,
    trigger: ExecutionTrigger,
    scope: ExecutionScope | null,
    settings: ExecutionSettings,
  ): Promise<{ execution: ExecutionEntity; coalesced: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.dataSource.transaction(async (m) => {
          const repo = m.getRepository(ExecutionEntity);
          const waiting = await repo
            .createQueryBuilder('e')
            .setLock('pessimistic_write')
            .where(
              'e.owner_kind = :kind AND e.owner_id = :id AND e.owner_lane = :lane AND e.status = :status',
              { kind: owner.kind, id: owner.id, lane: owner.lane ?? '', status: 'pending' },
            )
            .getOne();
          if (waiting) {
            waiting.scope = mergeScopes(waiting.scope, scope);
            await repo.update(waiting.id, { scope: waiting.scope, ...pickSettings(settings) });
            return { execution: waiting, coalesced: true };
          }
          const created = await repo.save(
            repo.create({
              ownerKind: owner.kind,
              ownerId: owner.id,
              ownerLane: owner.lane ?? '',
              trigger,
              status: 'pending',
              scope,
              ...pickSettings(settings),
            }),
          );
          return { execution: created, coalesced: false };
        });
        if (!result.coalesced) await this.created(result.execution);
        return result;
      } catch (error) {
        // Two triggers raced to create the waiting execution: join the winner.
        if (attempt < 3 && isUniqueViolation(error, 'execution_one_pending')) continue;
        throw error;
      }
    }
  }

  /**
   * Creates an execution together with its tasks, in one transaction: it needs no
   * planning, and runs once no other execution of its owner runs. Fails with a
   * unique violation on `execution_one_pending` when the owner already has one
   * waiting.
   */
  async createPlanned(
    request: PlannedExecution,
    alsoInTransaction?: (m: EntityManager, created: ExecutionEntity) => Promise<void>,
  ): Promise<ExecutionEntity> {
    const execution = await this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(ExecutionEntity);
      const saved = await repo.save(
        repo.create({
          ...(request.id ? { id: request.id } : {}),
          ownerKind: request.owner.kind,
          ownerId: request.owner.id,
          ownerLane: request.owner.lane ?? '',
          trigger: request.trigger,
          status: 'pending',
          planned: true,
          reason: request.reason ?? null,
          message: request.message ?? null,
          override: request.settings.override,
          bandwidthLimit: request.settings.bandwidthLimit,
          maxConcurrency: request.settings.maxConcurrency,
          referrers: request.settings.referrers ?? null,
          variants: request.settings.variants ?? null,
        }),
      );
      await insertTasks(m, saved.id, request.tasks);
      await alsoInTransaction?.(m, saved);
      return saved;
    });
    await this.created(execution);
    return execution;
  }

  /**
   * Adds tasks to the execution waiting in the owner's lane, or starts one with them:
   * work that arrives while a lane runs (a tree's next level, one delivery after
   * another) gathers into one follow-up instead of one execution each. `since` (event
   * times, `repository:tag`) joins the scope for lag. Returns the execution.
   */
  async enqueueTasks(
    owner: ExecutionOwner,
    trigger: ExecutionTrigger,
    settings: ExecutionSettings,
    tasks: readonly PlannedTask[],
    since: Record<string, string> = {},
  ): Promise<ExecutionEntity> {
    const scope = Object.keys(since).length ? { repositories: {}, since } : null;
    for (let attempt = 0; ; attempt++) {
      try {
        const { execution, created } = await this.dataSource.transaction(async (m) => {
          const repo = m.getRepository(ExecutionEntity);
          const waiting = await repo
            .createQueryBuilder('e')
            .setLock('pessimistic_write')
            .where(
              'e.owner_kind = :kind AND e.owner_id = :id AND e.owner_lane = :lane AND e.status = :status',
              { kind: owner.kind, id: owner.id, lane: owner.lane ?? '', status: 'pending' },
            )
            .getOne();
          if (waiting) {
            // A planned scope only carries event times; an unplanned one keeps its own meaning.
            if (scope && waiting.planned) {
              waiting.scope = {
                repositories: {},
                since: mergeScopes(waiting.scope ?? { repositories: {} }, scope)?.since ?? {},
              };
              await repo.update(waiting.id, { scope: waiting.scope });
            }
            await insertTasks(m, waiting.id, tasks);
            return { execution: waiting, created: false };
          }
          const saved = await repo.save(
            repo.create({
              ownerKind: owner.kind,
              ownerId: owner.id,
              ownerLane: owner.lane ?? '',
              trigger,
              status: 'pending',
              planned: true,
              scope,
              ...pickSettings(settings),
            }),
          );
          await insertTasks(m, saved.id, tasks);
          return { execution: saved, created: true };
        });
        if (created) await this.created(execution);
        else await this.bus.publish({ type: 'tasks.available', executionId: execution.id });
        return execution;
      } catch (error) {
        if (attempt < 3 && isUniqueViolation(error, 'execution_one_pending')) continue;
        throw error;
      }
    }
  }

  async get(id: string): Promise<ExecutionEntity> {
    const found = await this.executions.findOneBy({ id });
    if (!found) throw notFound('Execution', id);
    return found;
  }

  async view(id: string): Promise<ExecutionDto> {
    return (await this.views([await this.get(id)]))[0]!;
  }

  async list(filter: {
    ownerKind?: OwnerKind;
    ownerId?: string;
    status?: ExecutionStatus;
    limit: number;
    offset: number;
  }): Promise<Page<ExecutionDto>> {
    const where: FindOptionsWhere<ExecutionEntity> = {
      ...(filter.ownerKind ? { ownerKind: filter.ownerKind } : {}),
      ...(filter.ownerId ? { ownerId: filter.ownerId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
    };
    const [rows, total] = await this.executions.findAndCount({
      where,
      order: { createdAt: 'DESC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { items: await this.views(rows), total, limit: filter.limit, offset: filter.offset };
  }

  async tasksOf(
    executionId: string,
    filter: { status?: TaskEntity['status']; limit: number; offset: number },
  ): Promise<Page<TaskDto>> {
    await this.get(executionId);
    const where = { executionId, ...(filter.status ? { status: filter.status } : {}) };
    const [rows, total] = await this.tasks.findAndCount({
      where,
      order: { seq: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
    const registries = await this.registries.getMany(
      rows.flatMap((r) => [r.sourceRegistryId, r.destinationRegistryId]),
    );
    const name = (id: string) => registries.get(id)?.name ?? null;
    return {
      items: rows.map((t) => toTaskDto(t, name(t.sourceRegistryId), name(t.destinationRegistryId))),
      total,
      limit: filter.limit,
      offset: filter.offset,
    };
  }

  /**
   * Stops an execution: a waiting one at once; a running one by marking it, stopping
   * its pending tasks, and telling every replica to abort its running ones.
   */
  async stop(id: string): Promise<ExecutionDto> {
    const execution = await this.get(id);
    if (execution.status === 'pending') {
      // An execution created with its tasks (a copy, confirmed deletions) has them already.
      await this.dataSource.transaction(async (m) => {
        const { affected } = await m
          .getRepository(ExecutionEntity)
          .update(
            { id, status: 'pending' },
            { status: 'stopped', endedAt: new Date(), message: 'Stopped before it started' },
          );
        if (affected)
          await m.query(
            `UPDATE task SET status = 'stopped', ended_at = now(), updated_at = now(), reason = 'execution stopped'
             WHERE execution_id = $1 AND status = 'pending'`,
            [id],
          );
      });
    } else if (execution.status === 'running') {
      await this.dataSource.transaction(async (m) => {
        await m.getRepository(ExecutionEntity).update(id, { stopRequested: true });
        await m.query(
          `UPDATE task SET status = 'stopped', ended_at = now(), updated_at = now(), reason = 'execution stopped'
           WHERE execution_id = $1 AND status = 'pending'`,
          [id],
        );
      });
      await this.bus.publish({ type: 'execution.stop', executionId: id });
      // Nothing running and planning over: it ends now; otherwise the last task ends it.
      await this.finisher.finishIfDone(id);
    }
    return this.view(id);
  }

  /**
   * An operator confirms deletions the deletion guard held. While the execution runs
   * they are released in place; once it has ended they move to a new execution of
   * the same owner (created planned, so it runs them without planning again). Each
   * delete task still checks the source and the destination before acting.
   */
  async confirmDeletions(id: string): Promise<{ executionId: string; confirmed: number }> {
    const execution = await this.get(id);
    const reason = 'confirmed by an operator';
    if (execution.status === 'running') {
      const released = await queryRows(
        this.dataSource,
        `UPDATE task SET status = 'pending', reason = $2, updated_at = now()
         WHERE execution_id = $1 AND status = 'held' RETURNING id`,
        [id, reason],
      );
      if (!released.length) throw nothingHeld(id);
      await this.bus.publish({ type: 'tasks.available', executionId: id });
      return { executionId: id, confirmed: released.length };
    }
    const held = await this.tasks.findBy({ executionId: id, status: 'held' });
    if (!held.length) throw nothingHeld(id);
    let followUp: ExecutionEntity;
    try {
      followUp = await this.createPlanned(
        {
          owner: ownerOf(execution),
          trigger: 'manual',
          settings: pickSettings(execution),
          message: `Runs the deletions confirmed from execution ${id}`,
          tasks: held.map((t) => ({ ...t, status: 'pending', reason })),
        },
        (m, created) =>
          queryRows(
            m,
            `UPDATE task SET status = 'skipped', reason = $2, ended_at = now(), updated_at = now()
             WHERE execution_id = $1 AND status = 'held'`,
            [id, `confirmed; runs in execution ${created.id}`],
          ).then(() => undefined),
      );
    } catch (error) {
      if (isUniqueViolation(error, 'execution_one_pending')) {
        throw new ConflictException(
          'An execution of this owner is already waiting to run; confirm once it has started',
        );
      }
      throw error;
    }
    return { executionId: followUp.id, confirmed: held.length };
  }

  /** The owner changed: its waiting and running executions (every lane) take its new settings. */
  async applySettings(owner: ExecutionOwner, settings: ExecutionSettings): Promise<void> {
    await this.executions.update(
      { ownerKind: owner.kind, ownerId: owner.id, status: In(['pending', 'running']) },
      pickSettings(settings),
    );
  }

  /** The owner is gone: its executions in every lane (and their tasks) go; running transfers stop. */
  async deleteOwned(owner: ExecutionOwner): Promise<void> {
    const removed = await queryRows<{ id: string; status: ExecutionStatus }>(
      this.dataSource,
      'DELETE FROM execution WHERE owner_kind = $1 AND owner_id = $2 RETURNING id, status',
      [owner.kind, owner.id],
    );
    for (const e of removed) {
      if (e.status === 'running')
        await this.bus.publish({ type: 'execution.stop', executionId: e.id });
    }
  }

  /** `repository:tag` → when an event reported it, for event-driven executions; else null. */
  async eventTimes(executionId: string): Promise<Record<string, string> | null> {
    const [row] = await queryRows<{ since: Record<string, string> | null }>(
      this.dataSource,
      `SELECT scope->'since' AS since FROM execution WHERE id = $1`,
      [executionId],
    );
    return row?.since ?? null;
  }

  /** Records what an execution has to say (e.g. why deletions were held). */
  async setMessage(id: string, message: string): Promise<void> {
    await this.executions.update(id, { message });
  }

  /** Task counts and bytes per execution. */
  async totals(executionIds: string[]): Promise<Map<string, TaskTotals>> {
    const result = new Map<string, TaskTotals>();
    if (!executionIds.length) return result;
    const rows = await queryRows<{
      execution_id: string;
      status: string;
      n: string;
      bytes_total: string;
      bytes_done: string;
      referrers_copied: string;
    }>(
      this.dataSource,
      `SELECT execution_id, status, count(*) AS n, sum(bytes_total) AS bytes_total, sum(bytes_done) AS bytes_done,
              sum(referrers_copied) AS referrers_copied
         FROM task WHERE execution_id = ANY($1) GROUP BY execution_id, status
       UNION ALL
       SELECT id, 'in place', in_place, 0, 0, 0 FROM execution WHERE id = ANY($1) AND in_place > 0`,
      [executionIds],
    );
    for (const row of rows) {
      const totals = result.get(row.execution_id) ?? emptyTotals();
      // Tags in place are skipped tasks without rows (see TaskBatch).
      if (row.status === 'in place') {
        totals.counts.inPlace = Number(row.n);
        totals.counts.skipped += Number(row.n);
      } else totals.counts[row.status as Exclude<keyof TaskCountsDto, 'inPlace'>] = Number(row.n);
      totals.counts.total += Number(row.n);
      totals.bytesTotal += Number(row.bytes_total);
      totals.bytesDone += Number(row.bytes_done);
      totals.referrersCopied += Number(row.referrers_copied);
      result.set(row.execution_id, totals);
    }
    return result;
  }

  /** Executions by id (for SSE snapshots and the runner). */
  byIds(ids: string[]): Promise<ExecutionEntity[]> {
    return this.executions.findBy({ id: In(ids) });
  }

  private async created(execution: ExecutionEntity): Promise<void> {
    await this.bus.publish({
      type: 'execution.created',
      executionId: execution.id,
      owner: ownerOf(execution),
    });
  }

  private async views(rows: ExecutionEntity[]): Promise<ExecutionDto[]> {
    const [totals, names] = await Promise.all([
      this.totals(rows.map((r) => r.id)),
      this.owners.names(rows.map(ownerOf)),
    ]);
    return rows.map((r) => toDto(r, names.get(ownerKey(ownerOf(r))) ?? null, totals.get(r.id)));
  }
}

function pickSettings(s: ExecutionSettings): ExecutionSettings {
  return {
    override: s.override,
    bandwidthLimit: s.bandwidthLimit,
    maxConcurrency: s.maxConcurrency,
    referrers: s.referrers ?? null,
    variants: s.variants ?? null,
  };
}

function nothingHeld(id: string): ConflictException {
  return new ConflictException(`Execution ${id} has no deletions held by the guard`);
}

function emptyTotals(): TaskTotals {
  const counts = Object.fromEntries([
    ['total', 0],
    ['inPlace', 0],
    ...TASK_STATUSES.map((s) => [s, 0]),
  ]) as unknown as TaskCountsDto;
  return { counts, bytesTotal: 0, bytesDone: 0, referrersCopied: 0 };
}

export function toDto(
  e: ExecutionEntity,
  ownerName: string | null,
  totals: TaskTotals = emptyTotals(),
): ExecutionDto {
  return {
    id: e.id,
    owner: { kind: e.ownerKind, id: e.ownerId, lane: e.ownerLane || null, name: ownerName },
    policyId: e.ownerKind === 'policy' ? e.ownerId : null,
    trigger: e.trigger,
    status: e.status,
    counts: totals.counts,
    bytesTotal: totals.bytesTotal,
    bytesDone: totals.bytesDone,
    referrersCopied: totals.referrersCopied,
    planned: e.planned,
    startedAt: e.startedAt?.toISOString() ?? null,
    endedAt: e.endedAt?.toISOString() ?? null,
    reason: e.reason,
    message: e.message,
    createdAt: e.createdAt.toISOString(),
  };
}

function toTaskDto(
  t: TaskEntity,
  sourceRegistry: string | null,
  destinationRegistry: string | null,
): TaskDto {
  return {
    id: t.id,
    executionId: t.executionId,
    operation: t.operation,
    sourceRegistryId: t.sourceRegistryId,
    sourceRegistry,
    sourceRepository: t.sourceRepository,
    destinationRegistryId: t.destinationRegistryId,
    destinationRegistry,
    destinationRepository: t.destinationRepository,
    tag: t.tag,
    digest: t.digest,
    mediaType: t.mediaType,
    status: t.status,
    reason: t.reason,
    attempts: t.attempts,
    worker: t.leaseOwner,
    bytesTotal: t.bytesTotal,
    bytesDone: t.bytesDone,
    referrersCopied: t.referrersCopied,
    writtenDigest: t.writtenDigest,
    startedAt: t.startedAt?.toISOString() ?? null,
    endedAt: t.endedAt?.toISOString() ?? null,
  };
}
