import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Subject } from 'rxjs';
import { In, type Repository } from 'typeorm';
import { isUniqueViolation, nameTaken, notFound } from '../common/errors.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import {
  filterProblems,
  reconcileCronProblem,
  withDefaultFilters,
} from '../policies/filter-rules.js';
import { RegistriesService } from '../registries/registries.service.js';
import {
  describeCycle,
  ReplicationGraph,
  type OwnedEdges,
} from '../registries/replication-graph.js';
import type { CreateTopologyDto, UpdateTopologyDto } from './dto/topology.dto.js';
import { TopologyEntity, TopologyNodeEntity } from './topology.entity.js';
import { treeProblems, TreeShape, type TreeNode } from './tree-shape.js';

/** A topology was created, changed or deleted (deleted: `topology` is undefined). */
export interface TopologyChange {
  topologyId: string;
  topology?: TopologyEntity;
}

const DEFAULT_RECONCILE_CRON = '0 * * * *';

/** Topologies: trees and dual-master pairs, validated as shapes and against the replication graph. */
@Injectable()
export class TopologiesService {
  /** Local changes, so schedules and running executions follow at once. */
  readonly changes$ = new Subject<TopologyChange>();

  constructor(
    @InjectRepository(TopologyEntity) private readonly topologies: Repository<TopologyEntity>,
    private readonly registries: RegistriesService,
    private readonly graph: ReplicationGraph,
  ) {
    registries.addUsage('topologies', (registryId) => this.namesUsing(registryId));
    graph.register(async () =>
      (await this.topologies.findBy({ enabled: true })).map((t) => edgesOf(t)),
    );
  }

  async create(dto: CreateTopologyDto): Promise<TopologyEntity> {
    const entity = this.topologies.create({
      name: dto.name,
      kind: dto.kind,
      deletion: dto.deletion ?? false,
      override: dto.override ?? false,
      conflict: dto.kind === 'dual-master' ? (dto.conflict ?? null) : null,
      enabled: dto.enabled ?? true,
      reconcileCron:
        dto.reconcile?.cron !== undefined ? dto.reconcile.cron : DEFAULT_RECONCILE_CRON,
    });
    applyFilters(entity, dto.filters);
    const problems = this.applyNodes(entity, dto);
    await this.validate(entity, problems);
    return this.save(entity);
  }

  list(): Promise<TopologyEntity[]> {
    return this.topologies.find({ order: { name: 'ASC' } });
  }

  async get(id: string): Promise<TopologyEntity> {
    const found = await this.topologies.findOneBy({ id });
    if (!found) throw notFound('Topology', id);
    return found;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, TopologyEntity>> {
    const rows = ids.length ? await this.topologies.findBy({ id: In([...new Set(ids)]) }) : [];
    return new Map(rows.map((t) => [t.id, t]));
  }

  /** Enabled topologies with a node on this registry. */
  async withRegistry(registryId: string): Promise<TopologyEntity[]> {
    const ids = await this.topologies
      .createQueryBuilder('t')
      .innerJoin('t.nodes', 'n', 'n.registry_id = :registryId', { registryId })
      .where('t.enabled')
      .select('t.id', 'id')
      .getRawMany<{ id: string }>();
    return [...(await this.getMany(ids.map((r) => r.id))).values()];
  }

  async update(id: string, dto: UpdateTopologyDto): Promise<TopologyEntity> {
    const entity = await this.get(id);
    if (dto.name !== undefined) entity.name = dto.name;
    if (dto.filters !== undefined) applyFilters(entity, dto.filters);
    if (dto.deletion !== undefined) entity.deletion = dto.deletion;
    if (dto.override !== undefined) entity.override = dto.override;
    if (dto.conflict !== undefined) entity.conflict = dto.conflict;
    if (dto.enabled !== undefined) entity.enabled = dto.enabled;
    if (dto.reconcile?.cron !== undefined) entity.reconcileCron = dto.reconcile.cron;
    const problems =
      dto.nodes !== undefined || dto.registries !== undefined
        ? this.applyNodes(entity, { kind: entity.kind, ...dto })
        : [];
    await this.validate(entity, problems);
    return this.save(entity);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.topologies.delete(id);
    this.changes$.next({ topologyId: id });
  }

  /** Names of the topologies with a node on a registry. */
  async namesUsing(registryId: string): Promise<string[]> {
    const rows = await this.topologies
      .createQueryBuilder('t')
      .innerJoin('t.nodes', 'n', 'n.registry_id = :registryId', { registryId })
      .select('DISTINCT t.name', 'name')
      .orderBy('name')
      .getRawMany<{ name: string }>();
    return rows.map((r) => r.name);
  }

  private async save(entity: TopologyEntity): Promise<TopologyEntity> {
    try {
      const saved = await this.topologies.save(entity);
      const fresh = await this.get(saved.id);
      this.changes$.next({ topologyId: fresh.id, topology: fresh });
      return fresh;
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken('topology', entity.name);
      throw error;
    }
  }

  /** Sets the nodes from a tree's `nodes` or a pair's `registries`; returns shape problems. */
  private applyNodes(
    entity: TopologyEntity,
    dto: Pick<CreateTopologyDto, 'kind' | 'nodes' | 'registries'>,
  ): FieldError[] {
    const problems: FieldError[] = [];
    let nodes: TreeNode[];
    if (dto.kind === 'tree') {
      if (dto.registries !== undefined)
        problems.push({
          field: 'registries',
          reason: 'registries are for kind dual-master; a tree has nodes',
        });
      if (!dto.nodes) problems.push({ field: 'nodes', reason: 'a tree needs nodes' });
      nodes = (dto.nodes ?? []).map((n) => ({
        registryId: n.registryId,
        parent: n.parent,
        namespace: n.namespace?.replace(/^\/+|\/+$/g, '') || null,
      }));
      problems.push(...treeProblems(nodes));
    } else {
      if (dto.nodes !== undefined)
        problems.push({ field: 'nodes', reason: 'nodes are for kind tree; a pair has registries' });
      const pair = dto.registries ?? [];
      if (pair.length !== 2 || pair[0] === pair[1])
        problems.push({
          field: 'registries',
          reason: 'a dual-master pair is two different registries',
        });
      nodes = pair.map((registryId) => ({ registryId, parent: null, namespace: null }));
    }
    entity.nodes = nodes.map((n, position) =>
      Object.assign(new TopologyNodeEntity(), {
        registryId: n.registryId,
        parentRegistryId: n.parent,
        namespace: n.namespace,
        position,
      }),
    );
    return problems;
  }

  /** Rules the DTO cannot express; every problem at once, then the graph of all replication. */
  private async validate(t: TopologyEntity, problems: FieldError[]): Promise<void> {
    const ids = t.nodes.map((n) => n.registryId);
    const known = await this.registries.getMany(ids);
    const field = t.kind === 'tree' ? 'nodes' : 'registries';
    t.nodes.forEach((n, i) => {
      if (!known.has(n.registryId))
        problems.push({
          field: t.kind === 'tree' ? `nodes[${i}].registryId` : `registries[${i}]`,
          reason: `registry ${n.registryId} does not exist`,
        });
    });
    if (t.kind === 'dual-master' && !t.conflict)
      problems.push({
        field: 'conflict',
        reason:
          'a dual-master pair needs a conflict rule: prefer-first, prefer-second, newest or hold',
      });
    problems.push(...filterProblems(t), ...reconcileCronProblem(t.reconcileCron));
    if (!problems.length && t.enabled) {
      const cycle = await this.graph.cycleWith(edgesOf(t));
      if (cycle) {
        const names = new Map([...known].map(([id, r]) => [id, r.name]));
        for (const [id, r] of await this.registries.getMany(cycle.map((e) => e.from)))
          names.set(id, r.name);
        problems.push({
          field,
          reason: `this topology would close a replication cycle: ${describeCycle(cycle, names)}; a change would come back to where it started`,
        });
      }
    }
    if (problems.length) throw new InvalidInputException(problems);
  }
}

function applyFilters(entity: TopologyEntity, filters: CreateTopologyDto['filters']): void {
  const f = withDefaultFilters(filters);
  entity.repositories = [...f.repositories];
  entity.excludeRepositories = [...f.excludeRepositories];
  entity.tags = [...f.tags];
  entity.excludeTags = [...f.excludeTags];
}

/** A tree feeds each child from its parent; a pair feeds both ways (a declared pair). */
export function edgesOf(t: TopologyEntity): OwnedEdges {
  const by = `topology ${t.name}`;
  const owner = `topology:${t.id ?? 'new'}`;
  if (t.kind === 'dual-master') {
    const [a, b] = sidesOf(t);
    return {
      owner,
      edges: [
        { from: a, to: b, by, pair: owner },
        { from: b, to: a, by, pair: owner },
      ],
    };
  }
  return {
    owner,
    edges: t.nodes
      .filter((n) => n.parentRegistryId !== null)
      .map((n) => ({ from: n.parentRegistryId!, to: n.registryId, by })),
  };
}

/** A tree's shape. */
export function shapeOf(t: TopologyEntity): TreeShape {
  return new TreeShape(
    t.nodes.map((n) => ({
      registryId: n.registryId,
      parent: n.parentRegistryId,
      namespace: n.namespace,
    })),
  );
}

/** A pair's first and second registry. */
export function sidesOf(t: TopologyEntity): [string, string] {
  const [a, b] = [...t.nodes].sort((x, y) => x.position - y.position);
  return [a!.registryId, b!.registryId];
}
