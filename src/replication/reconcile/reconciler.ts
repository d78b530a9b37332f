import { Injectable, Logger } from '@nestjs/common';
import { forEachConcurrent, mapConcurrent } from '../../common/async-pool.js';
import { AppConfig } from '../../config/app-config.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import type { ExecutionScope } from '../executions/execution.entity.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { DeletionPlanner } from '../planning/deletion-planner.js';
import { Planner } from '../planning/planner.js';
import { SourceWalker } from '../planning/source-walker.js';
import { compareTag } from '../planning/tag-comparator.js';
import { emptyDrift, note, type DestinationDrift, type DriftReport } from './drift-report.js';
import { DriftStore } from './drift-store.js';

const PARALLEL_REPOSITORIES = 4;

/**
 * Compares a policy's source, destinations and ledger without copying anything, and
 * records the drift per destination: tags missing, tags with another digest, and tags
 * regrelay wrote that the source has since deleted. Events get lost; this is how a
 * replica that silently fell behind is found. With `reconcile.repair` on, it starts
 * an execution scoped to exactly the drifted tags.
 */
@Injectable()
export class Reconciler {
  private readonly logger = new Logger(Reconciler.name);
  private readonly running = new Map<string, Promise<DriftReport>>();

  constructor(
    private readonly config: AppConfig,
    private readonly policies: PoliciesService,
    private readonly planner: Planner,
    private readonly ledger: LedgerService,
    private readonly executions: ExecutionsService,
    private readonly store: DriftStore,
  ) {}

  /** Reconciles a policy, or joins the reconcile of it already running here. */
  reconcile(policyId: string): Promise<DriftReport> {
    const current = this.running.get(policyId);
    if (current) return current;
    const run = this.run(policyId).finally(() => this.running.delete(policyId));
    this.running.set(policyId, run);
    return run;
  }

  private async run(policyId: string): Promise<DriftReport> {
    const started = Date.now();
    const policy = await this.policies.get(policyId);
    const { source, destinations } = await this.planner.clientsFor(policy);
    const signal = AbortSignal.timeout(3_600_000); // an hourly schedule must not pile up behind a stuck run
    const walker = new SourceWalker(source, policy, null, signal);
    const drift = new Map<string, DestinationDrift>(
      destinations.map((d) => [d.registryId, emptyDrift(d.registryId)]),
    );
    const deletions = new DeletionPlanner(
      this.ledger,
      policyId,
      destinations,
      this.config.deletionGuardShare,
      signal,
    );
    const repair = new Map<string, Set<string>>();
    const toRepair = (repository: string, tag: string) =>
      repair.set(repository, (repair.get(repository) ?? new Set()).add(tag));

    await forEachConcurrent(walker.walk(), PARALLEL_REPOSITORIES, async (repository) => {
      const listed = new Set<string>();
      for await (const page of repository.pages) {
        for (const tag of page) listed.add(tag);
        const wanted = page.filter((tag) => walker.tags.matches(tag));
        const compared = await mapConcurrent(wanted, this.config.planningConcurrency, (tag) =>
          compareTag(source, destinations, repository.name, tag, signal),
        );
        for (const c of compared) {
          if (c.source.kind !== 'present') continue;
          const digest = c.source.descriptor.digest;
          for (const { destination, state } of c.destinations) {
            const d = drift.get(destination.registryId)!;
            const item = `${c.repository}:${c.tag}`;
            if (state.kind === 'absent') {
              note(d, 'missing', item);
              toRepair(c.repository, c.tag);
            } else if (state.kind === 'unreadable') {
              note(d, 'unreadable', item);
            } else if (state.descriptor.digest !== digest) {
              note(d, 'different', item);
              if (policy.override) toRepair(c.repository, c.tag);
            }
          }
        }
      }
      await deletions.repositoryListed(repository.name, listed);
    });
    await deletions.walkCompleted(walker.repositories);
    for (const row of (await deletions.classify()).deletable) {
      note(drift.get(row.destinationRegistryId)!, 'extra', `${row.repository}:${row.tag}`);
      if (policy.deletion) toRepair(row.sourceRepository, row.tag);
    }

    const report: DriftReport = {
      policyId,
      checkedAt: new Date(),
      destinations: [...drift.values()],
      repairExecutionId:
        repair.size && policy.reconcileRepair ? await this.startRepair(policy, repair) : null,
    };
    await this.store.save(report);
    this.logger.log(
      {
        policy: policy.name,
        ms: Date.now() - started,
        drift: report.destinations.map((d) => ({
          destination: d.destinationRegistryId,
          missing: d.missing,
          different: d.different,
          extra: d.extra,
        })),
        repairExecutionId: report.repairExecutionId,
      },
      'Reconciled',
    );
    return report;
  }

  private async startRepair(
    policy: PolicyEntity,
    tags: Map<string, Set<string>>,
  ): Promise<string | null> {
    if (!policy.enabled) return null;
    const scope: ExecutionScope = {
      repositories: Object.fromEntries([...tags].map(([repo, set]) => [repo, [...set]])),
    };
    const { execution } = await this.executions.trigger(policy.id, 'reconcile', scope);
    return execution.id;
  }
}
