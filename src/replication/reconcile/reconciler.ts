import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import type { ExecutionScope } from '../executions/execution.entity.js';
import { ExecutionsService } from '../executions/executions.service.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { policyOwner } from '../owners/execution-owner.js';
import { specOf } from '../owners/policy-settings.js';
import { decideAttached, decideCopy, type CopyDecision } from '../planning/decisions.js';
import { DeletionPlanner } from '../planning/deletion-planner.js';
import { Planner } from '../planning/planner.js';
import { compareSource } from '../planning/source-comparison.js';
import { SourceWalker } from '../planning/source-walker.js';
import { emptyDrift, note, type DestinationDrift, type DriftReport } from './drift-report.js';
import { TagTimes } from '../selection/tag-times.js';
import { DriftStore } from './drift-store.js';

/**
 * A repair names the drifted tags in the execution's scope, up to this many; beyond,
 * a full execution does the same work without a scope the size of a catalogue.
 */
const MAX_SCOPED_REPAIR_TAGS = 5_000;

/** The kind of drift a copy decision means, if any. */
function driftOf(decision: CopyDecision): 'missing' | 'different' | 'unreadable' | undefined {
  if (decision.action === 'copy') {
    if (decision.destination === 'absent') return 'missing';
    return decision.destination === 'different' ? 'different' : 'unreadable';
  }
  if (decision.action === 'skip' && decision.destination === 'different') return 'different';
  return undefined;
}

/**
 * Compares a policy's source, destinations and ledger without copying anything, and
 * records the drift per destination: tags missing, tags with another digest, and tags
 * regrelay wrote that the source has since deleted. Events get lost; this is how a
 * replica that silently fell behind is found. With `reconcile.repair` on, it starts
 * an execution scoped to exactly the drifted tags. The comparison is the planner's
 * (compareSource and decisions.ts): a reconcile sees what a plan would do.
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
    private readonly tagTimes: TagTimes,
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
    const spec = specOf(policy);
    const { source, destinations } = await this.planner.clientsFor(spec);
    const signal = AbortSignal.timeout(3_600_000); // an hourly schedule must not pile up behind a stuck run
    const walker = new SourceWalker(source, spec.filters, null, signal);
    const drift = new Map<string, DestinationDrift>(
      destinations.map((d) => [d.registryId, emptyDrift(d.registryId)]),
    );
    const deletions = new DeletionPlanner(
      this.ledger,
      policyOwner(policyId),
      spec.sourceRegistryId,
      destinations,
      this.config.deletionGuardShare,
      signal,
    );
    const repair = new Map<string, Set<string>>();
    const toRepair = (repository: string, tag: string) =>
      repair.set(repository, (repair.get(repository) ?? new Set()).add(tag));

    await compareSource(
      {
        source,
        destinations,
        walker,
        concurrency: this.config.planningConcurrency,
        signal,
        referrers: spec.referrers,
        latest: { sourceRegistryId: spec.sourceRegistryId, times: this.tagTimes },
        variants: this.planner.variantsOf(spec),
      },
      {
        attached: (comparisons) => {
          for (const c of comparisons) {
            for (const { destination, state } of c.destinations) {
              if (decideAttached(state).action !== 'copy') continue;
              const shown = c.tags.length
                ? `${c.repository}:${c.tags[0]}`
                : `${c.repository}@${c.subject.digest}`;
              note(drift.get(destination.registryId)!, 'attached', shown);
              for (const tag of c.tags) toRepair(c.repository, tag);
            }
          }
        },
        page: (comparisons) => {
          for (const c of comparisons) {
            for (const { destination, state } of c.destinations) {
              const kind = driftOf(decideCopy(c.source, state, spec.override));
              if (!kind) continue;
              note(drift.get(destination.registryId)!, kind, `${c.repository}:${c.tag}`);
              if (kind === 'missing' || (kind === 'different' && spec.override))
                toRepair(c.repository, c.tag);
            }
          }
        },
        repository: ({ repository, listed, unselected }) =>
          deletions.repositoryListed(repository.name, listed, unselected),
      },
    );
    await deletions.walkCompleted(walker.repositories);
    for (const { written, decision } of await deletions.classify()) {
      if (decision.action !== 'delete') continue;
      note(
        drift.get(written.destinationRegistryId)!,
        'extra',
        `${written.repository}:${written.tag}`,
      );
      if (spec.deletion) toRepair(written.originRepository, written.tag);
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
          attached: d.attached,
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
    let count = 0;
    for (const set of tags.values()) count += set.size;
    const scope: ExecutionScope | null =
      count > MAX_SCOPED_REPAIR_TAGS
        ? null
        : { repositories: Object.fromEntries([...tags].map(([repo, set]) => [repo, [...set]])) };
    const { execution } = await this.executions.trigger(policy.id, 'reconcile', scope);
    return execution.id;
  }
}
