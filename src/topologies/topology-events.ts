import { Injectable } from '@nestjs/common';
import type { ExecutionScope } from '../replication/executions/execution.entity.js';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { LedgerService } from '../replication/ledger/ledger.service.js';
import {
  EventTargets,
  type EventTarget,
  type TargetEvent,
} from '../replication/triggers/event-targets.js';
import { PushTimes } from './push-times.js';
import { shapeOf, TopologiesService } from './topologies.service.js';
import { edgeOwner, filtersOf, settingsOf, topologyOwner } from './topology-settings.js';
import type { TopologyEntity } from './topology.entity.js';

/**
 * Which registry events topologies want: a tree's root's (its root edge plans them
 * as a policy would; every other level follows by delivery), and both sides of a
 * pair. A pair recognises regrelay's own writes when their webhooks come back — the
 * ledger says regrelay wrote that digest at that tag — and drops them, so one push
 * makes exactly one copy and then silence.
 */
@Injectable()
export class TopologyEvents {
  constructor(
    targets: EventTargets,
    private readonly topologies: TopologiesService,
    private readonly executions: ExecutionsService,
    private readonly ledger: LedgerService,
    private readonly pushes: PushTimes,
  ) {
    targets.register(async (registryId) =>
      (await this.topologies.withRegistry(registryId)).flatMap((t) =>
        this.targetsOf(t, registryId),
      ),
    );
  }

  private targetsOf(t: TopologyEntity, registryId: string): EventTarget[] {
    const common = { id: `topology:${t.id}`, ...filtersOf(t), deletion: t.deletion };
    if (t.kind === 'tree') {
      if (shapeOf(t).root.registryId !== registryId) return [];
      const owner = edgeOwner(t, registryId);
      return [
        {
          ...common,
          owner,
          trigger: (scope) => this.executions.enqueue(owner, 'event', scope, settingsOf(t)),
        },
      ];
    }
    return [
      {
        ...common,
        owner: topologyOwner(t),
        trigger: (scope, events) => this.pairEvents(t, registryId, scope, events),
      },
    ];
  }

  private async pairEvents(
    t: TopologyEntity,
    registryId: string,
    scope: ExecutionScope,
    events: readonly TargetEvent[],
  ) {
    const echoes = new Set<string>();
    const pushes: { repository: string; tag: string; digest: string | null; at: Date }[] = [];
    for (const e of events) {
      if (e.action !== 'push' || !e.tag) continue;
      const written = await this.ledger.lookup(registryId, e.repository, e.tag);
      const ours =
        written?.owner.kind === 'topology' &&
        written.owner.id === t.id &&
        written.digest === e.digest;
      if (ours) echoes.add(`${e.repository}:${e.tag}`);
      else
        pushes.push({ repository: e.repository, tag: e.tag, digest: e.digest, at: e.occurredAt });
    }
    await this.pushes.record(t.id, registryId, pushes);
    const narrowed = withoutEchoes(scope, echoes, events);
    if (!narrowed) return undefined;
    return this.executions.enqueue(topologyOwner(t), 'event', narrowed, settingsOf(t));
  }
}

/**
 * The scope minus tags whose only news was regrelay's own write; undefined when
 * nothing is left. A tag named by another event too (a delete, a push by someone
 * else in the same batch) stays.
 */
function withoutEchoes(
  scope: ExecutionScope,
  echoes: ReadonlySet<string>,
  events: readonly TargetEvent[],
): ExecutionScope | undefined {
  if (!echoes.size) return scope;
  const news = new Set(
    events
      .filter((e) => !(e.action === 'push' && e.tag && echoes.has(`${e.repository}:${e.tag}`)))
      .map((e) => (e.tag ? `${e.repository}:${e.tag}` : e.repository)),
  );
  const repositories: Record<string, string[]> = {};
  for (const [repository, tags] of Object.entries(scope.repositories)) {
    if (!tags.length) {
      if (news.has(repository)) repositories[repository] = [];
      continue;
    }
    const kept = tags.filter((tag) => news.has(`${repository}:${tag}`));
    if (kept.length) repositories[repository] = kept;
  }
  if (!Object.keys(repositories).length) return undefined;
  const since = Object.fromEntries(
    Object.entries(scope.since ?? {}).filter(([key]) => news.has(key)),
  );
  return Object.keys(since).length ? { repositories, since } : { repositories };
}
