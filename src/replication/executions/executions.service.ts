import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation, notFound } from '../../common/errors.js';
import { queryRows } from '../../database/sql.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { ExecutionDto, TaskCountsDto, TaskDto } from '../dto/execution.dto.js';
import { EventBus } from '../event-bus.js';
import { ExecutionFinisher } from './execution-finisher.js';
import { TaskEntity, TASK_STATUSES } from '../tasks/task.entity.js';
import {
  ExecutionEntity,
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
}

@Injectable()
export class ExecutionsService {
  constructor(
    @InjectRepository(ExecutionEntity) private readonly executions: Repository<ExecutionEntity>,
    @InjectRepository(TaskEntity) private readonly tasks: Repository<TaskEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policies: PoliciesService,
    private readonly bus: EventBus,
    private readonly finisher: ExecutionFinisher,
  ) {}

  /**
   * Starts an execution of a policy, or joins the one already waiting: at most one
   * runs and one waits per policy, so triggers arriving while it runs coalesce into
   * a single follow-up instead of piling up.
   */
  async trigger(
    policyId: string,
    trigger: ExecutionTrigger,
    scope: ExecutionScope | null = null,
  ): Promise<{ execution: ExecutionEntity; coalesced: boolean }> {
    const policy = await this.policies.get(policyId);
    if (!policy.enabled)
      throw new ConflictException(`Policy ${policy.name} is disabled; enable it to run it`);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.dataSource.transaction(async (m) => {
          const waiting = await m
            .getRepository(ExecutionEntity)
            .createQueryBuilder('e')
            .setLock('pessimistic_write')
            .where('e.policy_id = :policyId AND e.status = :status', {
              policyId,
              status: 'pending',
            })
            .getOne();
          if (waiting) {
            waiting.scope = mergeScopes(waiting.scope, scope);
            await m.getRepository(ExecutionEntity).update(waiting.id, { scope: waiting.scope });
            return { execution: waiting, coalesced: true };
          }
          const created = await m
            .getRepository(ExecutionEntity)
            .save(
              m
                .getRepository(ExecutionEntity)
                .create({ policyId, trigger, status: 'pending', scope }),
            );
          return { execution: created, coalesced: false };
        });
        if (!result.coalesced) {
          await this.bus.publish({
            type: 'execution.created',
            executionId: result.execution.id,
            policyId,
          });
        }
        return result;
      } catch (error) {
        // Two triggers raced to create the waiting execution: join the winner.
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
    const execution = await this.get(id);
    const totals = await this.totals([id]);
    return toDto(execution, totals.get(id));
  }

  async list(filter: {
    policyId?: string;
    status?: ExecutionStatus;
    limit: number;
    offset: number;
  }): Promise<Page<ExecutionDto>> {
    const where = {
      ...(filter.policyId ? { policyId: filter.policyId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
    };
    const [rows, total] = await this.executions.findAndCount({
      where,
      order: { createdAt: 'DESC' },
      take: filter.limit,
      skip: filter.offset,
    });
    const totals = await this.totals(rows.map((r) => r.id));
    return {
      items: rows.map((r) => toDto(r, totals.get(r.id))),
      total,
      limit: filter.limit,
      offset: filter.offset,
    };
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
    const names = await this.registryNames(rows.map((r) => r.destinationRegistryId));
    return {
      items: rows.map((t) => toTaskDto(t, names.get(t.destinationRegistryId) ?? null)),
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
      await this.executions.update(
        { id, status: 'pending' },
        { status: 'stopped', endedAt: new Date(), message: 'Stopped before it started' },
      );
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
   * they are released in place; once it has ended they move to a new execution
   * (created planned, so it runs them without planning again). Each delete task still
   * checks the source and the destination before acting.
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
      if (!released.length)
        throw new ConflictException(`Execution ${id} has no deletions held by the guard`);
      await this.bus.publish({ type: 'tasks.available', executionId: id });
      return { executionId: id, confirmed: released.length };
    }
    let result: { executionId: string; confirmed: number };
    try {
      result = await this.dataSource.transaction(async (m) => {
        const repo = m.getRepository(ExecutionEntity);
        const followUp = await repo.save(
          repo.create({
            policyId: execution.policyId,
            trigger: 'manual',
            status: 'pending',
            planned: true,
            message: `Runs the deletions confirmed from execution ${id}`,
          }),
        );
        const moved = await queryRows(
          m,
          `INSERT INTO task (execution_id, policy_id, operation, destination_registry_id, source_repository,
                             destination_repository, tag, digest, media_type, status, reason)
           SELECT $2, policy_id, operation, destination_registry_id, source_repository, destination_repository,
                  tag, digest, media_type, 'pending', $3
           FROM task WHERE execution_id = $1 AND status = 'held' RETURNING id`,
          [id, followUp.id, reason],
        );
        if (!moved.length)
          throw new ConflictException(`Execution ${id} has no deletions held by the guard`);
        await queryRows(
          m,
          `UPDATE task SET status = 'skipped', reason = $2, ended_at = now(), updated_at = now()
           WHERE execution_id = $1 AND status = 'held'`,
          [id, `confirmed; runs in execution ${followUp.id}`],
        );
        return { executionId: followUp.id, confirmed: moved.length };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'execution_one_pending')) {
        throw new ConflictException(
          'An execution of this policy is already waiting to run; confirm once it has started',
        );
      }
      throw error;
    }
    await this.bus.publish({
      type: 'execution.created',
      executionId: result.executionId,
      policyId: execution.policyId,
    });
    return result;
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
    const rows: {
      execution_id: string;
      status: string;
      n: string;
      bytes_total: string;
      bytes_done: string;
    }[] = await this.dataSource.query(
      `SELECT execution_id, status, count(*) AS n, sum(bytes_total) AS bytes_total, sum(bytes_done) AS bytes_done
         FROM task WHERE execution_id = ANY($1) GROUP BY execution_id, status`,
      [executionIds],
    );
    for (const row of rows) {
      const totals = result.get(row.execution_id) ?? emptyTotals();
      totals.counts[row.status as keyof TaskCountsDto] = Number(row.n);
      totals.counts.total += Number(row.n);
      totals.bytesTotal += Number(row.bytes_total);
      totals.bytesDone += Number(row.bytes_done);
      result.set(row.execution_id, totals);
    }
    return result;
  }

  private async registryNames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows: { id: string; name: string }[] = await this.dataSource.query(
      'SELECT id, name FROM registry WHERE id = ANY($1)',
      [[...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** Executions by id (for SSE snapshots and the runner). */
  byIds(ids: string[]): Promise<ExecutionEntity[]> {
    return this.executions.findBy({ id: In(ids) });
  }
}

function emptyTotals(): TaskTotals {
  const counts = Object.fromEntries([
    ['total', 0],
    ...TASK_STATUSES.map((s) => [s, 0]),
  ]) as unknown as TaskCountsDto;
  return { counts, bytesTotal: 0, bytesDone: 0 };
}

export function toDto(e: ExecutionEntity, totals: TaskTotals = emptyTotals()): ExecutionDto {
  return {
    id: e.id,
    policyId: e.policyId,
    trigger: e.trigger,
    status: e.status,
    counts: totals.counts,
    bytesTotal: totals.bytesTotal,
    bytesDone: totals.bytesDone,
    planned: e.planned,
    startedAt: e.startedAt?.toISOString() ?? null,
    endedAt: e.endedAt?.toISOString() ?? null,
    message: e.message,
    createdAt: e.createdAt.toISOString(),
  };
}

function toTaskDto(t: TaskEntity, destinationRegistry: string | null): TaskDto {
  return {
    id: t.id,
    executionId: t.executionId,
    operation: t.operation,
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
    bytesTotal: t.bytesTotal,
    bytesDone: t.bytesDone,
    startedAt: t.startedAt?.toISOString() ?? null,
    endedAt: t.endedAt?.toISOString() ?? null,
  };
}
