import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import type { DecisionDto, PromotionDto } from './dto/promotion.dto.js';
import { withApprovalDecided } from './gates/gate-evaluator.js';
import type { ApprovalGate } from './gates/gate-types.js';
import { PromotionRunner } from './promotion-runner.js';
import { PromotionScheduler } from './promotion-scheduler.js';
import { PromotionStore } from './promotion-store.js';
import { PromotionViews } from './promotion-views.js';

/** Approvals and rejections of promotions. */
@Injectable()
export class PromotionDecisions {
  constructor(
    private readonly store: PromotionStore,
    private readonly scheduler: PromotionScheduler,
    private readonly runner: PromotionRunner,
    private readonly views: PromotionViews,
  ) {}

  /**
   * An approval counts toward the stage's approval gate: never the requester's own,
   * one per token, from a role the gate accepts. The gates are evaluated again at once.
   */
  async approve(id: string, principal: Principal, dto: DecisionDto): Promise<PromotionDto> {
    const p = await this.store.get(id);
    if (p.status !== 'waiting')
      throw new ConflictException(
        `Promotion ${id} is ${p.status}; only waiting promotions take approvals`,
      );
    const gate = p.gates.find((g) => g.type === 'approval')?.config as ApprovalGate | undefined;
    if (!gate)
      throw new ConflictException(
        `Stage ${p.stageName} has no approval gate; promotion ${id} needs no approval`,
      );
    if (p.requestedByTokenId === principal.tokenId)
      throw new ForbiddenException(
        `Token "${principal.name}" requested promotion ${id}; the requester cannot approve their own promotion`,
      );
    const roles = gate.roles ?? ['operator', 'admin'];
    if (!roles.includes(principal.role))
      throw new ForbiddenException(
        `Stage ${p.stageName} takes approvals from ${roles.join(' or ')} tokens; "${principal.name}" is ${principal.role}`,
      );
    await this.record(id, principal, 'approve', dto);
    await this.scheduler.evaluateDecided(id);
    return this.views.one(await this.store.get(id));
  }

  /** A rejection refuses the promotion (a waiting or queued one), recorded with its comment. */
  async reject(id: string, principal: Principal, dto: DecisionDto): Promise<PromotionDto> {
    const p = await this.store.get(id);
    if (p.status !== 'waiting' && p.status !== 'queued')
      throw new ConflictException(
        `Promotion ${id} is ${p.status}; only waiting or queued promotions can be rejected`,
      );
    await this.record(id, principal, 'reject', dto);
    // Ended at once, not by a gate evaluation that might queue it first; the approval
    // gate still waiting is decided from the decisions, so it names the rejection too.
    const gates = withApprovalDecided(p.gates, {
      decisions: await this.store.decisionsOf([id]),
      requestedByTokenId: p.requestedByTokenId,
      requestedAt: p.createdAt,
      now: new Date(),
    });
    await this.runner.end(
      p,
      ['waiting', 'queued'],
      'refused',
      `rejected by ${principal.name}${dto.comment ? `: ${dto.comment}` : ''}`,
      { gates },
    );
    return this.views.one(await this.store.get(id));
  }

  private async record(
    id: string,
    principal: Principal,
    decision: 'approve' | 'reject',
    dto: DecisionDto,
  ): Promise<void> {
    const recorded = await this.store.decide({
      promotionId: id,
      tokenId: principal.tokenId,
      name: principal.name,
      role: principal.role,
      decision,
      comment: dto.comment ?? null,
    });
    if (!recorded)
      throw new ConflictException(
        `Token "${principal.name}" has already decided on promotion ${id}`,
      );
  }
}
