import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { ReplicationMetrics } from '../replication-metrics.js';
import { policyOwner } from './execution-owner.js';
import { settingsOf, specOf } from './policy-settings.js';
import { EventTargets } from '../triggers/event-targets.js';
import { ExecutionOwners } from './execution-owners.js';

/**
 * Policies as owners of executions: what their executions plan, their names, and
 * what follows a change (running executions take the new settings) or a deletion
 * (their executions and ledger go; running tasks are stopped).
 */
@Injectable()
export class PolicyOwner implements OnModuleDestroy {
  private readonly logger = new Logger(PolicyOwner.name);
  private readonly subscription: Subscription;

  constructor(
    owners: ExecutionOwners,
    targets: EventTargets,
    private readonly policies: PoliciesService,
    private readonly executions: ExecutionsService,
    private readonly ledger: LedgerService,
    private readonly metrics: ReplicationMetrics,
  ) {
    owners.register('policy', {
      spec: async (owner) => specOf(await policies.get(owner.id)),
      names: async (ids) =>
        new Map([...(await policies.getMany(ids))].map(([id, p]) => [id, p.name])),
    });
    // An event-triggered policy wants the events of its source registry.
    targets.register(async (registryId) =>
      (await policies.listEventTriggered(registryId)).map((policy) => ({
        id: `policy:${policy.id}`,
        owner: policyOwner(policy.id),
        ...specOf(policy).filters,
        deletion: policy.deletion,
        trigger: (scope) => executions.trigger(policy.id, 'event', scope),
      })),
    );
    this.subscription = policies.changes$.subscribe(({ policyId, policy }) => {
      void this.changed(policyId, policy).catch((error: unknown) =>
        this.logger.warn(
          { err: error, policyId },
          'Could not apply a policy change to its executions',
        ),
      );
    });
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  private async changed(policyId: string, policy: PolicyEntity | undefined): Promise<void> {
    const owner = policyOwner(policyId);
    this.metrics.forget(policyId);
    if (policy) {
      await this.executions.applySettings(owner, settingsOf(policy));
      return;
    }
    await this.executions.deleteOwned(owner);
    await this.ledger.forgetOwner(owner);
  }
}
