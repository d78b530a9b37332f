import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { validateCronExpression } from 'cron';
import { Subject } from 'rxjs';
import { In, type Repository } from 'typeorm';
import { isUniqueViolation, nameTaken, notFound } from '../common/errors.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import { isRepository } from '../oci/index.js';
import { RegistriesService } from '../registries/registries.service.js';
import {
  describeCycle,
  ReplicationGraph,
  type OwnedEdges,
} from '../registries/replication-graph.js';
import type {
  CreatePolicyDto,
  DestinationDto,
  PolicyFiltersDto,
  ReconcileDto,
  UpdatePolicyDto,
} from './dto/policy.dto.js';
import {
  filterProblems,
  reconcileCronProblem,
  semverProblem,
  withDefaultFilters,
} from './filter-rules.js';
import { namespaceOverlap } from './namespace-overlap.js';
import { PolicyDestinationEntity, PolicyEntity } from './policy.entity.js';

/** A policy was created, changed or deleted (deleted: `policy` is undefined). */
export interface PolicyChange {
  policyId: string;
  policy?: PolicyEntity;
}

const DEFAULT_RECONCILE_CRON = '0 * * * *';

@Injectable()
export class PoliciesService {
  /** Local changes, so schedulers react at once (other replicas resync on their own). */
  readonly changes$ = new Subject<PolicyChange>();

  constructor(
    @InjectRepository(PolicyEntity) private readonly policies: Repository<PolicyEntity>,
    private readonly registries: RegistriesService,
    private readonly graph: ReplicationGraph,
  ) {
    registries.addUsage('policies', (registryId) => this.namesUsing(registryId));
    graph.register(async () =>
      (await this.policies.findBy({ triggerType: 'event', enabled: true })).map(edgesOf),
    );
  }

  async create(dto: CreatePolicyDto): Promise<PolicyEntity> {
    const entity = this.policies.create({
      name: dto.name,
      sourceRegistryId: dto.sourceRegistryId,
      override: dto.override ?? false,
      deletion: dto.deletion ?? false,
      referrers: dto.referrers ?? 'all',
      enabled: dto.enabled ?? true,
      maxConcurrency: dto.maxConcurrency ?? null,
      bandwidthLimit: dto.bandwidthLimit ?? null,
    });
    this.applyFilters(entity, dto.filters);
    this.applyTrigger(entity, dto.trigger ?? { type: 'manual' });
    this.applyReconcile(entity, dto.reconcile);
    entity.destinations = toDestinations(dto.destinations);
    await this.validate(entity);
    return this.save(entity);
  }

  list(): Promise<PolicyEntity[]> {
    return this.policies.find({ order: { name: 'ASC' } });
  }

  /** Enabled policies that registry events from this source trigger. */
  listEventTriggered(sourceRegistryId: string): Promise<PolicyEntity[]> {
    return this.policies.find({
      where: { sourceRegistryId, triggerType: 'event', enabled: true },
      order: { name: 'ASC' },
    });
  }

  async get(id: string): Promise<PolicyEntity> {
    const found = await this.policies.findOneBy({ id });
    if (!found) throw notFound('Policy', id);
    return found;
  }

  /** Policies by id; a missing one is absent from the map. */
  async getMany(ids: readonly string[]): Promise<Map<string, PolicyEntity>> {
    const rows = ids.length ? await this.policies.findBy({ id: In([...new Set(ids)]) }) : [];
    return new Map(rows.map((p) => [p.id, p]));
  }

  /** Names of the policies that read from or write to a registry. */
  async namesUsing(registryId: string): Promise<string[]> {
    const rows = await this.policies
      .createQueryBuilder('p')
      .leftJoin('p.destinations', 'd')
      .where('p.source_registry_id = :registryId OR d.registry_id = :registryId', { registryId })
      .select('DISTINCT p.name', 'name')
      .orderBy('name')
      .getRawMany<{ name: string }>();
    return rows.map((r) => r.name);
  }

  async update(id: string, dto: UpdatePolicyDto): Promise<PolicyEntity> {
    const entity = await this.get(id);
    if (dto.name !== undefined) entity.name = dto.name;
    if (dto.sourceRegistryId !== undefined) entity.sourceRegistryId = dto.sourceRegistryId;
    if (dto.filters !== undefined) this.applyFilters(entity, dto.filters);
    if (dto.trigger !== undefined) this.applyTrigger(entity, dto.trigger);
    if (dto.reconcile !== undefined) this.applyReconcile(entity, dto.reconcile);
    if (dto.override !== undefined) entity.override = dto.override;
    if (dto.deletion !== undefined) entity.deletion = dto.deletion;
    if (dto.referrers !== undefined) entity.referrers = dto.referrers;
    if (dto.enabled !== undefined) entity.enabled = dto.enabled;
    if (dto.maxConcurrency !== undefined) entity.maxConcurrency = dto.maxConcurrency ?? null;
    if (dto.bandwidthLimit !== undefined) entity.bandwidthLimit = dto.bandwidthLimit ?? null;
    if (dto.destinations !== undefined) entity.destinations = toDestinations(dto.destinations);
    await this.validate(entity);
    return this.save(entity);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    // Executions, tasks, the ledger and cron ticks go with it (ON DELETE CASCADE).
    await this.policies.delete(id);
    this.changes$.next({ policyId: id });
  }

  private async save(entity: PolicyEntity): Promise<PolicyEntity> {
    try {
      const saved = await this.policies.save(entity);
      const fresh = await this.get(saved.id);
      this.changes$.next({ policyId: fresh.id, policy: fresh });
      return fresh;
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken('policy', entity.name);
      throw error;
    }
  }

  private applyFilters(entity: PolicyEntity, filters: PolicyFiltersDto | undefined): void {
    const patterns = withDefaultFilters(filters);
    entity.repositories = [...patterns.repositories];
    entity.excludeRepositories = [...patterns.excludeRepositories];
    entity.tags = [...patterns.tags];
    entity.excludeTags = [...patterns.excludeTags];
    entity.tagSemver = filters?.semver ?? null;
    entity.tagLatest = filters?.latest ?? null;
    entity.variants = filters?.variants ?? 'all';
  }

  private applyTrigger(
    entity: PolicyEntity,
    trigger: { type: PolicyEntity['triggerType']; cron?: string },
  ): void {
    entity.triggerType = trigger.type;
    entity.triggerCron = trigger.type === 'cron' ? (trigger.cron ?? null) : null;
  }

  private applyReconcile(entity: PolicyEntity, reconcile: ReconcileDto | undefined): void {
    if (reconcile?.cron !== undefined) entity.reconcileCron = reconcile.cron;
    else if (entity.reconcileCron === undefined) entity.reconcileCron = DEFAULT_RECONCILE_CRON;
    if (reconcile?.repair !== undefined) entity.reconcileRepair = reconcile.repair;
    else entity.reconcileRepair ??= false;
  }

  /** Rules the DTO cannot express; every problem is reported at once. */
  private async validate(p: PolicyEntity): Promise<void> {
    const problems: FieldError[] = [];
    const ids = [p.sourceRegistryId, ...p.destinations.map((d) => d.registryId)];
    const known = await this.registries.getMany(ids);
    if (!known.has(p.sourceRegistryId)) {
      problems.push({
        field: 'sourceRegistryId',
        reason: `registry ${p.sourceRegistryId} does not exist`,
      });
    }
    const seen = new Set<string>();
    p.destinations.forEach((d, i) => {
      const field = `destinations[${i}]`;
      if (!known.has(d.registryId))
        problems.push({
          field: `${field}.registryId`,
          reason: `registry ${d.registryId} does not exist`,
        });
      if (d.namespace && !isRepository(d.namespace)) {
        problems.push({
          field: `${field}.namespace`,
          reason:
            'namespace must be a valid repository path: lowercase components of [a-z0-9] joined by ".", "_", "__" or "-", separated by "/"',
        });
      }
      if (d.registryId === p.sourceRegistryId && !d.namespace) {
        problems.push({
          field: `${field}`,
          reason:
            'a destination equal to the source without a namespace would copy every repository onto itself',
        });
      }
      const key = `${d.registryId}/${d.namespace ?? ''}`;
      if (seen.has(key))
        problems.push({ field, reason: 'the same registry and namespace appear twice' });
      seen.add(key);
    });
    const filterErrors = filterProblems(p);
    problems.push(...filterErrors);
    // Which repositories feed back into the source can only be asked of filters that compile.
    if (!filterErrors.length) problems.push(...selfFeedingDestinations(p));
    problems.push(...semverProblem(p.tagSemver));
    if (p.triggerType === 'cron') {
      const check = p.triggerCron
        ? validateCronExpression(p.triggerCron)
        : { valid: false, error: 'missing' };
      if (!check.valid) {
        problems.push({
          field: 'trigger.cron',
          reason: `trigger.cron must be a cron expression for type cron (${String(check.error ?? 'invalid')})`,
        });
      }
    }
    problems.push(...reconcileCronProblem(p.reconcileCron));
    if (!problems.length && p.triggerType === 'event' && p.enabled) {
      const cycle = await this.graph.cycleWith(edgesOf(p));
      if (cycle) {
        const names = await this.registries.getMany(cycle.map((e) => e.from));
        problems.push({
          field: 'destinations',
          reason: `an event-triggered policy here would close a replication cycle: ${describeCycle(
            cycle,
            new Map([...names].map(([id, r]) => [id, r.name])),
          )}; a change would come back to where it started`,
        });
      }
    }
    if (problems.length) throw new InvalidInputException(problems);
  }
}

/** An event-triggered policy feeds each destination from its source on every push. */
function edgesOf(p: PolicyEntity): OwnedEdges {
  return {
    owner: `policy:${p.id ?? 'new'}`,
    edges: p.destinations.map((d) => ({
      from: p.sourceRegistryId,
      to: d.registryId,
      by: `policy ${p.name}`,
    })),
  };
}

/** Same-registry destinations whose copies the policy would select again (see namespaceOverlap). */
function selfFeedingDestinations(p: PolicyEntity): FieldError[] {
  const problems: FieldError[] = [];
  p.destinations.forEach((d, i) => {
    if (d.registryId !== p.sourceRegistryId || !d.namespace) return;
    const overlap = namespaceOverlap(d.namespace, p.repositories, p.excludeRepositories);
    if (!overlap) return;
    const ns = d.namespace;
    const which = overlap.regex
      ? `the regular expression ${JSON.stringify(overlap.pattern)} in filters.repositories may select repositories under "${ns}/" (a regular expression cannot be checked)`
      : `filters.repositories pattern ${JSON.stringify(overlap.pattern)} selects repositories under "${ns}/"`;
    problems.push({
      field: `destinations[${i}].namespace`,
      reason:
        `the destination is the source registry, and ${which}: ${ns}/x would be copied again to ${ns}/${ns}/x, without end. ` +
        `Choose a namespace the filters do not select, or add "${ns}/**" to filters.excludeRepositories`,
    });
  });
  return problems;
}

function toDestinations(destinations: DestinationDto[]): PolicyDestinationEntity[] {
  return destinations.map((d, position) =>
    Object.assign(new PolicyDestinationEntity(), {
      position,
      registryId: d.registryId,
      namespace: d.namespace?.replace(/^\/+|\/+$/g, '') || null,
    }),
  );
}
