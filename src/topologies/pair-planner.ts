import { Injectable } from '@nestjs/common';
import { forEachConcurrent, mapConcurrent } from '../common/async-pool.js';
import { AppConfig } from '../config/app-config.js';
import { NotFoundError, type RegistryClient } from '../oci/index.js';
import { NameFilter } from '../policies/name-filter.js';
import { RegistriesService } from '../registries/registries.service.js';
import { RegistryClients } from '../registries/registry-clients.js';
import { LedgerService } from '../replication/ledger/ledger.service.js';
import type { ExecutionScope } from '../replication/executions/execution.entity.js';
import type { PlannedTask } from '../replication/planning/task-batch.js';
import { headTag } from '../replication/planning/tag-comparator.js';
import type { TagState } from '../replication/planning/tag-state.js';
import { threeWay, type Side } from '../replication/planning/three-way.js';
import { Conflicts, type Resolution } from './conflicts.js';
import { PushTimes } from './push-times.js';
import { sidesOf } from './topologies.service.js';
import { TopologyMetrics } from './topology-metrics.js';
import { topologyOwner } from './topology-settings.js';
import type { TopologyEntity } from './topology.entity.js';

const PARALLEL_REPOSITORIES = 4;
const TAGS_PER_PAGE = 100;

/** One side of the pair, ready to be asked. */
interface PairSide {
  side: Side;
  registryId: string;
  client: RegistryClient;
}

/** One comparison of the pair: into an execution, or (dryRun) into a report. */
export interface PairRun {
  /** The tags to compare (an event's); null: everything. */
  scope: ExecutionScope | null;
  executionId: string | null;
  signal: AbortSignal;
  add(task: PlannedTask): Promise<void>;
  setMessage(message: string): Promise<void>;
  /** Report only: write no base, record no conflict. */
  dryRun: boolean;
}

interface Pass {
  run: PairRun;
  t: TopologyEntity;
  sides: Record<Side, PairSide>;
  tags: NameFilter;
  /** Tags a side lacks (or holds differently) that a copy will fix, per side. */
  drift: Record<Side, { missing: number; different: number }>;
  unreadable: number;
}

/**
 * Plans a dual-master pair: per tag, the three-way comparison of the last digest
 * synced between the sides (the ledger), side A now and side B now (see
 * three-way.ts), turned into copies (each expecting exactly what it compared at the
 * other side), tombstone deletes, and conflicts settled by the pair's rule or held.
 * An event's execution compares the tags it names; a sync compares every tag either
 * side has, or the ledger knows.
 */
@Injectable()
export class PairPlanner {
  constructor(
    private readonly config: AppConfig,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly ledger: LedgerService,
    private readonly conflicts: Conflicts,
    private readonly pushes: PushTimes,
    private readonly metrics: TopologyMetrics,
  ) {}

  async plan(run: PairRun, t: TopologyEntity): Promise<PairDrift> {
    const [a, b] = sidesOf(t);
    const found = await this.registries.getMany([a, b]);
    const side = (s: Side, id: string): PairSide => {
      const registry = found.get(id);
      if (!registry) throw new Error(`registry ${id} of the pair no longer exists`);
      return { side: s, registryId: id, client: this.clients.forRegistry(registry) };
    };
    const pass: Pass = {
      run,
      t,
      sides: { a: side('a', a), b: side('b', b) },
      tags: NameFilter.compile(t.tags, t.excludeTags),
      drift: { a: { missing: 0, different: 0 }, b: { missing: 0, different: 0 } },
      unreadable: 0,
    };
    const repositories = NameFilter.compile(t.repositories, t.excludeRepositories);
    const scope = run.scope;
    const named: [string, string[]][] = scope
      ? Object.entries(scope.repositories).filter(([r]) => repositories.matches(r))
      : (await this.allRepositories(pass, repositories)).map((r) => [r, []]);
    await forEachConcurrent(
      named,
      PARALLEL_REPOSITORIES,
      ([repository, tags]) => this.repository(pass, repository, tags),
      run.signal,
    );
    if (pass.unreadable)
      await run.setMessage(
        `${pass.unreadable} tag(s) could not be read on one side and were left for the next comparison`,
      );
    return { complete: scope === null, drift: pass.drift, registries: [a, b] };
  }

  /** Every repository either side lists (or the filters name). */
  private async allRepositories(pass: Pass, filter: NameFilter): Promise<string[]> {
    const literal = filter.literalNames();
    if (literal) return literal;
    const names = new Set<string>();
    for (const s of Object.values(pass.sides)) {
      for await (const page of s.client.catalogPages({ signal: pass.run.signal }))
        for (const name of page) if (filter.matches(name)) names.add(name);
    }
    return [...names].sort();
  }

  private async repository(pass: Pass, repository: string, named: string[]): Promise<void> {
    const tags = named.length ? named : await this.allTags(pass, repository);
    const wanted = tags.filter((tag) => pass.tags.matches(tag));
    for (let i = 0; i < wanted.length; i += TAGS_PER_PAGE)
      await this.page(pass, repository, wanted.slice(i, i + TAGS_PER_PAGE));
  }

  /** Tags of a repository at either side, and the ones the ledger holds (gone from both?). */
  private async allTags(pass: Pass, repository: string): Promise<string[]> {
    const tags = new Set<string>();
    for (const s of Object.values(pass.sides)) {
      try {
        for await (const page of s.client.tagPages(repository, { signal: pass.run.signal }))
          for (const tag of page) tags.add(tag);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    const owner = topologyOwner(pass.t);
    for (const s of Object.values(pass.sides)) {
      for (const row of await this.ledger.fromOrigin(owner, s.registryId, repository))
        tags.add(row.tag);
    }
    return [...tags].sort();
  }

  private async page(pass: Pass, repository: string, tags: string[]): Promise<void> {
    const { run, sides } = pass;
    const states = await mapConcurrent(tags, this.config.planningConcurrency, async (tag) => ({
      tag,
      a: await headTag(sides.a.client, repository, tag, run.signal),
      b: await headTag(sides.b.client, repository, tag, run.signal),
    }));
    const bases = await this.bases(pass, repository, tags);
    for (const { tag, a, b } of states) {
      if (a.kind === 'unreadable' || b.kind === 'unreadable') {
        pass.unreadable++;
        continue;
      }
      await this.decide(pass, repository, tag, bases.get(tag) ?? null, digestOf(a), digestOf(b));
    }
  }

  /** The digest last synced between the sides, per tag: this pair's latest ledger write on either side. */
  private async bases(
    pass: Pass,
    repository: string,
    tags: string[],
  ): Promise<Map<string, string>> {
    const rows = await this.ledger.writtenAt(
      [pass.sides.a.registryId, pass.sides.b.registryId],
      repository,
      tags,
    );
    const latest = new Map<string, { digest: string; at: number }>();
    for (const row of rows) {
      if (row.owner.kind !== 'topology' || row.owner.id !== pass.t.id) continue;
      const known = latest.get(row.tag);
      if (!known || row.writtenAt.getTime() > known.at)
        latest.set(row.tag, { digest: row.digest, at: row.writtenAt.getTime() });
    }
    return new Map([...latest].map(([tag, v]) => [tag, v.digest]));
  }

  private async decide(
    pass: Pass,
    repository: string,
    tag: string,
    base: string | null,
    a: string | null,
    b: string | null,
  ): Promise<void> {
    const { t, sides } = pass;
    const owner = topologyOwner(t);
    const open = await this.conflicts.open(t.id, repository, tag);
    const decision = threeWay(base, a, b);
    const dry = pass.run.dryRun;
    if (open && decision.action !== 'conflict' && !dry) {
      // Settled outside regrelay since (both sides made equal, or one side deleted).
      await this.conflicts.resolve(open.id, 'manual', a === b ? a : null);
    }
    const current = { a, b };
    switch (decision.action) {
      case 'none':
        return;
      case 'record':
        if (dry) return;
        // Both sides already agree: that is the new base, written as if synced.
        await this.ledger.recordWrite({
          destinationRegistryId: sides.b.registryId,
          repository,
          tag,
          digest: decision.digest,
          originRegistryId: sides.a.registryId,
          originRepository: repository,
          owner,
          executionId: pass.run.executionId,
        });
        return;
      case 'forget':
        if (dry) return;
        for (const s of Object.values(sides))
          await this.ledger.forget(owner, s.registryId, repository, tag);
        return;
      case 'copy':
        if (decision.report && !dry)
          await this.conflict(pass, repository, tag, current, 'change-kept', decision.digest);
        return this.copy(pass, repository, tag, decision.from, decision.digest, current);
      case 'delete': {
        if (!t.deletion) return;
        const from = decision.on === 'a' ? sides.b : sides.a;
        const on = sides[decision.on];
        pass.drift[decision.on].different++;
        await pass.run.add({
          operation: 'delete',
          sourceRegistryId: from.registryId,
          sourceRepository: repository,
          destinationRegistryId: on.registryId,
          destinationRepository: repository,
          tag,
          digest: base!,
          mediaType: null,
          status: 'pending',
          reason: null,
        });
        return;
      }
      case 'conflict': {
        if (open) return; // held, waiting for a person
        const winner = await this.winner(pass, repository, tag, current);
        const resolution: Resolution = winner ? (t.conflict as Resolution) : 'held';
        if (!dry)
          await this.conflict(
            pass,
            repository,
            tag,
            current,
            resolution,
            winner ? current[winner] : null,
          );
        if (winner) await this.copy(pass, repository, tag, winner, current[winner]!, current);
        return;
      }
    }
  }

  /** Which side a conflict goes to by the pair's rule; undefined: held for a person. */
  private async winner(
    pass: Pass,
    repository: string,
    tag: string,
    current: Record<Side, string | null>,
  ): Promise<Side | undefined> {
    switch (pass.t.conflict) {
      case 'prefer-first':
        return 'a';
      case 'prefer-second':
        return 'b';
      case 'newest': {
        const times = await this.pushes.of(pass.t.id, repository, tag);
        const at = (s: Side) => {
          const p = times.get(pass.sides[s].registryId);
          return p && p.digest === current[s] ? p.at.getTime() : undefined;
        };
        const [ta, tb] = [at('a'), at('b')];
        if (ta !== undefined && tb !== undefined) return ta >= tb ? 'a' : 'b';
        if (ta !== undefined) return 'a';
        if (tb !== undefined) return 'b';
        return undefined; // no push time for either: a person decides
      }
      default:
        return undefined;
    }
  }

  private async conflict(
    pass: Pass,
    repository: string,
    tag: string,
    current: Record<Side, string | null>,
    resolution: Resolution,
    resolvedDigest: string | null,
  ): Promise<void> {
    const { created } = await this.conflicts.record({
      topologyId: pass.t.id,
      repository,
      tag,
      digests: {
        [pass.sides.a.registryId]: current.a,
        [pass.sides.b.registryId]: current.b,
      },
      resolution,
      resolvedDigest,
    });
    if (created) await this.metrics.conflict(pass.t.id, resolution);
  }

  /** A copy from one side to the other, expecting the other side exactly as compared. */
  private async copy(
    pass: Pass,
    repository: string,
    tag: string,
    from: Side,
    digest: string,
    current: Record<Side, string | null>,
  ): Promise<void> {
    const to: Side = from === 'a' ? 'b' : 'a';
    pass.drift[to][current[to] === null ? 'missing' : 'different']++;
    await pass.run.add({
      operation: 'copy',
      sourceRegistryId: pass.sides[from].registryId,
      sourceRepository: repository,
      destinationRegistryId: pass.sides[to].registryId,
      destinationRepository: repository,
      tag,
      digest,
      mediaType: null,
      status: 'pending',
      reason: null,
      destinationExpected: current[to] ?? '',
    });
  }
}

/** What a pair comparison found, for the node states of a full sync. */
export interface PairDrift {
  complete: boolean;
  drift: Record<Side, { missing: number; different: number }>;
  registries: [string, string];
}

function digestOf(state: TagState): string | null {
  return state.kind === 'present' ? state.descriptor.digest : null;
}
