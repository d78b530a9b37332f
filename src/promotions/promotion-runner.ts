import { Injectable, Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { isUniqueViolation } from '../common/errors.js';
import { describeError } from '../common/describe-error.js';
import { RegistriesService } from '../registries/registries.service.js';
import { RegistryClients } from '../registries/registry-clients.js';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { Clock } from './clock.js';
import { undecidedAfterRefusal } from './gates/gate-evaluator.js';
import { windowAt } from './gates/window-gate.js';
import type { GateRecord, WindowGate } from './gates/gate-types.js';
import type { PromotionEntity, PromotionStatus } from './promotion.entity.js';
import { PromotionMetrics } from './promotion-metrics.js';
import { PromotionStore } from './promotion-store.js';
import { StageLeaves } from './stage-leaves.js';

/** A promotion that put its digest into a stage (auto-promotion and topologies listen). */
export interface StageArrival {
  promotion: PromotionEntity;
}

class LostTurn extends Error {}

/**
 * Copies promotions into their stages, one at a time per stage, in request order:
 * the next queued promotion of a stage starts when none runs there (a partial unique
 * index makes that hold across replicas), as an execution owned by the stage that
 * copies exactly the digest — with children and referrers — under the tag. When the
 * execution ends, the promotion ends with it and the next one takes its turn.
 */
@Injectable()
export class PromotionRunner {
  private readonly logger = new Logger(PromotionRunner.name);
  readonly arrivals$ = new Subject<StageArrival>();

  constructor(
    private readonly store: PromotionStore,
    private readonly executions: ExecutionsService,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly metrics: PromotionMetrics,
    private readonly clock: Clock,
    private readonly leaves: StageLeaves,
  ) {}

  /** Starts the stage's next queued promotion if none is running there. */
  async startNext(stageId: string): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const open = await this.store.openInto(stageId);
      if (open.some((p) => p.status === 'running')) return;
      const next = open.find((p) => p.status === 'queued');
      if (!next) return;
      const outcome = await this.start(next);
      if (outcome !== 'next') return;
    }
  }

  private async start(p: PromotionEntity): Promise<'started' | 'next' | 'lost'> {
    const closed = this.closedWindow(p);
    if (closed) {
      // The window closed while it waited for its turn: back to waiting for the next one.
      await this.store.transition(p.id, 'queued', {
        status: 'waiting',
        queuedAt: null,
        gates: closed,
        nextEvaluationAt: this.clock.now(),
      });
      return 'next';
    }
    const refusal = await this.checkRules(p).catch((error: unknown) => {
      this.logger.warn(
        { err: error, promotionId: p.id },
        'Could not check a promotion before copying',
      );
      return undefined;
    });
    if (refusal) {
      await this.end(p, 'queued', 'refused', refusal);
      return 'next';
    }
    try {
      await this.executions.createPlanned(
        {
          owner: { kind: 'promotion', id: p.stageId! },
          trigger: 'manual',
          // An immutable tag is never replaced, even if someone wrote it since the checks.
          settings: { override: !p.immutable, bandwidthLimit: null, maxConcurrency: null },
          reason: `promotion ${p.id}: ${p.repository}@${p.digest} into stage ${p.stageName}${p.reason ? ` (${p.reason})` : ''}`,
          tasks: [
            {
              operation: 'copy',
              sourceRegistryId: p.sourceRegistryId,
              sourceRepository: p.sourceRepository,
              destinationRegistryId: p.destinationRegistryId,
              destinationRepository: p.destinationRepository,
              tag: p.tag,
              digest: p.digest,
              mediaType: p.mediaType,
              status: 'pending',
              reason: null,
            },
          ],
        },
        async (m, execution) => {
          const moved = await this.store.transition(
            p.id,
            'queued',
            { status: 'running', executionId: execution.id, startedAt: new Date() },
            m,
          );
          if (!moved) throw new LostTurn();
        },
      );
      return 'started';
    } catch (error) {
      // Another replica started this one, or another promotion of the stage, first.
      if (error instanceof LostTurn || isUniqueViolation(error)) return 'lost';
      throw error;
    }
  }

  /** What the rules say now, just before copying: null when it may go. */
  private async checkRules(p: PromotionEntity): Promise<string | null> {
    const [source, destination] = await Promise.all([
      this.registries.get(p.sourceRegistryId),
      this.registries.get(p.destinationRegistryId),
    ]);
    const present = await this.clients
      .forRegistry(source)
      .headManifest(p.sourceRepository, p.digest);
    if (!present)
      return `${p.digest} is no longer in stage ${p.sourceStageName} (registry ${source.name}, repository ${p.sourceRepository})`;
    if (p.immutable && p.tag) {
      const current = await this.clients
        .forRegistry(destination)
        .headManifest(p.destinationRepository, p.tag);
      if (current && current.digest !== p.digest)
        return `tag ${p.tag} in stage ${p.stageName} is immutable and now points at ${current.digest}`;
    }
    return null;
  }

  /** The gates with a window that is closed now, or undefined when every window is open. */
  private closedWindow(p: PromotionEntity) {
    const now = this.clock.now();
    let closed = false;
    const gates = p.gates.map((g) => {
      if (g.type !== 'window' || windowAt(g.config as WindowGate, now).open) return g;
      closed = true;
      return { ...g, status: 'pending' as const, nextCheckAt: now.toISOString() };
    });
    return closed ? gates : undefined;
  }

  /** A promotion's execution ended: the promotion ends with what its task did. */
  async executionEnded(executionId: string): Promise<void> {
    const p = await this.store.byExecution(executionId);
    if (!p || p.status !== 'running') return;
    const [task] = (await this.executions.tasksOf(executionId, { limit: 1, offset: 0 })).items;
    const execution = await this.executions.get(executionId);
    if (!task) {
      await this.end(
        p,
        'running',
        'failed',
        `the copy ended without a task: ${execution.message ?? ''}`,
      );
      return;
    }
    const bytes = task.bytesDone;
    if (task.status === 'succeeded')
      await this.end(
        p,
        'running',
        'succeeded',
        `copied into stage ${p.stageName} (${bytes} bytes sent)`,
        { bytesMoved: bytes },
      );
    else if (task.status === 'skipped' && task.reason?.startsWith('already present'))
      await this.end(
        p,
        'running',
        'succeeded',
        `already in stage ${p.stageName} at ${p.tag ?? p.digest}`,
      );
    else if (task.status === 'skipped')
      await this.end(p, 'running', 'refused', `not copied: ${task.reason ?? 'skipped'}`);
    else
      await this.end(
        p,
        'running',
        'failed',
        `the copy ${task.status}: ${task.reason ?? execution.message ?? 'no reason given'}`,
      );
  }

  /** Running promotions whose execution ended while the event was lost. */
  async sweep(): Promise<void> {
    for (const p of await this.store.running()) {
      if (!p.executionId) continue;
      const [execution] = await this.executions.byIds([p.executionId]);
      if (!execution)
        await this.end(p, 'running', 'failed', 'its execution was deleted before it ended');
      else if (execution.status !== 'pending' && execution.status !== 'running')
        await this.executionEnded(p.executionId);
    }
  }

  /**
   * Ends a promotion once (guarded by its status); the stage's next one may start.
   * `gates`, when given, are the records as the ending decided them (a rejection).
   */
  async end(
    p: PromotionEntity,
    from: PromotionStatus | readonly PromotionStatus[],
    status: 'succeeded' | 'failed' | 'refused',
    message: string,
    { bytesMoved = 0, gates }: { bytesMoved?: number; gates?: GateRecord[] } = {},
  ): Promise<void> {
    const endedAt = new Date();
    // Below a stage that roots a tree topology, the leaves report their arrivals later.
    const leaves =
      status === 'succeeded'
        ? await this.leaves.expected(
            p.destinationRegistryId,
            p.destinationRepository,
            p.digest,
            p.tag,
          )
        : [];
    const moved = await this.store.transition(p.id, from, {
      status,
      message,
      endedAt,
      bytesMoved,
      leaves,
      ...(gates && { gates: status === 'refused' ? undecidedAfterRefusal(gates) : gates }),
      nextEvaluationAt: null,
    });
    if (!moved) return;
    this.logger.log(
      { promotionId: p.id, stage: p.stageName, repository: p.repository, digest: p.digest, status },
      `Promotion ${status}: ${message}`,
    );
    await this.metrics.ended(p, status, (endedAt.getTime() - p.createdAt.getTime()) / 1000);
    if (status === 'succeeded' && p.stageId) {
      await this.store.recordArrival(
        p.stageId,
        p.repository,
        p.digest,
        p.kind === 'rollback' ? 'rollback' : 'promotion',
        endedAt,
        p.id,
      );
      this.arrivals$.next({ promotion: { ...p, status, endedAt, message } });
    }
    if (p.stageId)
      await this.startNext(p.stageId).catch((error: unknown) =>
        this.logger.warn(
          { err: error, stageId: p.stageId },
          `Could not start the next promotion: ${describeError(error)}`,
        ),
      );
  }
}
