import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Subscription, filter } from 'rxjs';
import type { Repository } from 'typeorm';
import { SerialPass } from '../common/serial-pass.js';
import { AppConfig } from '../config/app-config.js';
import { EventBus } from '../replication/event-bus.js';
import { Clock } from './clock.js';
import { GateRunner } from './gate-runner.js';
import { PipelineEntity } from './pipeline.entity.js';
import type { PromotionEntity } from './promotion.entity.js';
import { PromotionMetrics } from './promotion-metrics.js';
import { PromotionRunner } from './promotion-runner.js';
import { PromotionStore } from './promotion-store.js';

/** Promotions evaluated per pass, and how long one replica holds an evaluation. */
const EVALUATIONS_PER_PASS = 20;
const EVALUATION_LEASE_SECONDS = 120;
/** How long an approval waits for an evaluation under way, and how often it looks. */
const DECIDED_WAIT_MS = 5000;
const DECIDED_POLL_MS = 25;
/** Running promotions are checked against their executions every this many passes. */
const SWEEP_EVERY = 10;

/**
 * Drives promotions: evaluates the gates of waiting promotions when they are due (a
 * lease makes one replica do each), queues those whose gates passed, refuses those a
 * gate refused, starts each stage's next promotion, and ends promotions when their
 * execution finishes (execution.finished, with a sweep for lost events). API-only
 * replicas (REGRELAY_WORKERS=0) evaluate only what their own requests admit.
 */
@Injectable()
export class PromotionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PromotionScheduler.name);
  /** Holds evaluation leases for this process. */
  readonly instance = `promotions:${randomUUID()}`;
  private readonly subscription = new Subscription();
  private timer?: NodeJS.Timeout;
  private readonly pass = new SerialPass(
    () => this.tick(),
    (error) => this.logger.warn({ err: error }, 'Promotion pass failed'),
  );
  private stopped = false;
  private passes = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly store: PromotionStore,
    private readonly runner: PromotionRunner,
    private readonly gates: GateRunner,
    private readonly bus: EventBus,
    private readonly metrics: PromotionMetrics,
    private readonly clock: Clock,
    @InjectRepository(PipelineEntity) private readonly pipelines: Repository<PipelineEntity>,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.measureWaiting(() => this.store.waitingCounts());
    this.subscription.add(
      this.bus
        .of('execution.finished')
        .pipe(filter((e) => e.owner.kind === 'promotion'))
        .subscribe((e) => {
          void this.runner
            .executionEnded(e.executionId)
            .catch((error: unknown) =>
              this.logger.warn(
                { err: error, executionId: e.executionId },
                'Could not end a promotion',
              ),
            );
        }),
    );
    if (this.config.workers === 0) return;
    this.timer = setInterval(() => this.kick(), this.config.pollIntervalMs);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.subscription.unsubscribe();
    await this.pass.stop();
  }

  /**
   * A promotion was just recorded — a waiting one with its evaluation lease already
   * held by this process (see `leaseForRequest`), so the answer shows its gates
   * evaluated: evaluate it now, or start it.
   */
  async admitted(p: PromotionEntity): Promise<void> {
    if (p.status === 'waiting') await this.evaluateSafely(p);
    else await this.runner.startNext(p.stageId!);
  }

  /** The lease columns a request inserts a waiting promotion with. */
  leaseForRequest(): Pick<PromotionEntity, 'leaseOwner' | 'leaseExpiresAt'> {
    return {
      leaseOwner: this.instance,
      leaseExpiresAt: new Date(Date.now() + EVALUATION_LEASE_SECONDS * 1000),
    };
  }

  /**
   * Evaluates one waiting promotion now (a decision arrived). If another evaluation
   * holds it, that one or the next pass sees the decision: it is not missed.
   */
  private async evaluate(id: string): Promise<void> {
    await this.store.dueAt(id, this.clock.now());
    await this.evaluateUnlessHeld(id);
  }

  /**
   * Evaluates a promotion with a decision just recorded, waiting (up to `waitMs`) for
   * an evaluation under way — a pass here or on another replica, begun before the
   * decision — to end first: whoever decided is answered with gates that count it.
   * After the wait the next pass counts it all the same.
   */
  async evaluateDecided(id: string, waitMs = DECIDED_WAIT_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    // Due now once (for the next pass, should the wait run out); then only the claim.
    await this.store.dueAt(id, this.clock.now());
    while (!(await this.evaluateUnlessHeld(id))) {
      if ((await this.store.get(id)).status !== 'waiting' || Date.now() >= deadline) return;
      await sleep(DECIDED_POLL_MS);
    }
  }

  /** Takes the evaluation lease and evaluates; false when another evaluation holds it. */
  private async evaluateUnlessHeld(id: string): Promise<boolean> {
    if (!(await this.store.claimOne(id, this.instance, EVALUATION_LEASE_SECONDS))) return false;
    await this.evaluateSafely(await this.store.get(id));
    return true;
  }

  kick(): void {
    this.pass.kick();
  }

  private async tick(): Promise<void> {
    for (const p of await this.store.claimDue(
      this.instance,
      EVALUATIONS_PER_PASS,
      EVALUATION_LEASE_SECONDS,
      this.clock.now(),
    )) {
      if (this.stopped) return;
      await this.evaluateSafely(p);
    }
    for (const stageId of await this.store.stagesWithQueued()) await this.runner.startNext(stageId);
    if (++this.passes % SWEEP_EVERY === 0) await this.runner.sweep();
  }

  /** One promotion's trouble (its registry deleted, …) must not stop the others' evaluation. */
  private async evaluateSafely(p: PromotionEntity): Promise<void> {
    try {
      await this.evaluateClaimed(p);
    } catch (error) {
      this.logger.warn(
        { err: error, promotionId: p.id },
        'Could not evaluate a promotion; will retry',
      );
    }
  }

  private async evaluateClaimed(p: PromotionEntity): Promise<void> {
    const pipeline = await this.pipelines.findOne({ where: { id: p.pipelineId } });
    const decisionsBefore = (await this.store.decisionsOf([p.id])).length;
    let verdict;
    try {
      verdict = await this.gates.run(p, pipeline?.name ?? p.pipelineId);
    } catch (error) {
      // Not a gate's verdict (the source registry was deleted, …): look again later.
      await this.store.finishEvaluation(p.id, this.instance, {
        nextEvaluationAt: new Date(this.clock.now().getTime() + 15_000),
      });
      throw error;
    }
    if (verdict.status === 'passed') {
      await this.store.finishEvaluation(p.id, this.instance, {
        gates: verdict.records,
        status: 'queued',
        queuedAt: new Date(),
        nextEvaluationAt: null,
      });
      await this.runner.startNext(p.stageId!);
      return;
    }
    await this.store.finishEvaluation(p.id, this.instance, {
      gates: verdict.records,
      nextEvaluationAt: verdict.status === 'pending' ? verdict.nextEvaluationAt : null,
    });
    // A decision recorded while this evaluation ran (another replica could not take the
    // lease) must not wait for an event that may never come: evaluate once more.
    if (
      verdict.status === 'pending' &&
      (await this.store.decisionsOf([p.id])).length > decisionsBefore
    ) {
      await this.evaluate(p.id);
      return;
    }
    if (verdict.status === 'refused') {
      const refused = verdict.records.filter((r) => r.status === 'refused');
      await this.runner.end(
        p,
        'waiting',
        'refused',
        refused.map((r) => `refused by the ${r.type} gate: ${r.reason}`).join('; '),
        { gates: verdict.records },
      );
    }
  }
}
