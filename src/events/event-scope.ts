import { parseAttachedTag } from '../oci/index.js';
import { InvalidPatternError, NameFilter } from '../policies/name-filter.js';
import { TagSelection } from '../policies/tag-selection.js';
import type { ExecutionScope } from '../replication/executions/execution.entity.js';
import type { NameFilters } from '../replication/planning/replication-spec.js';
import type { PendingEvent } from './event-inbox.js';

/** What of an event target (a policy, a topology) the coalescer needs. */
export interface EventConsumer extends NameFilters {
  id: string;
  deletion: boolean;
}

/** An execution to trigger: a consumer, the scope its events name, and those events. */
export interface EventTrigger {
  consumerId: string;
  scope: ExecutionScope;
  /** Inbox ids of the events in the scope. */
  eventIds: string[];
}

/**
 * Turns one registry's waiting events into targeted executions of the consumers of
 * its events (event-triggered policies whose source it is, topologies it belongs
 * to): each gets only the repositories and tags its filters allow, never a full scan.
 *
 * - A pushed or deleted tag goes in by name, with `since` = when it first happened
 *   (the earlier of the registry's time and ours, so a registry clock running ahead
 *   cannot make replication lag negative).
 * - A manifest deleted by digest names no tag but removed every tag pointing at it:
 *   its repository goes in with an empty tag list (every tag re-examined).
 * - Deletes only concern policies that propagate them (`deletion`); for the others
 *   the planner would find nothing to do.
 * - With `semver`, only tags in the range count; with `latest`, a tag pushed or
 *   deleted re-ranks its whole repository (an empty tag list).
 * - What is attached to images travels with them whatever the tag filters say: a
 *   pushed cosign tag or referrers index (`sha256-<hex>[.sig|.att|.sbom]`) goes in by
 *   name, and a manifest pushed by digest only (a referrer) goes in `digests`; the
 *   planner finds their subject. Deleting one names nothing: attached artifacts go
 *   when their subject goes.
 */
export function eventTriggers(
  consumers: readonly EventConsumer[],
  events: readonly PendingEvent[],
  onInvalid: (consumerId: string, error: InvalidPatternError) => void = () => undefined,
): EventTrigger[] {
  const triggers: EventTrigger[] = [];
  for (const policy of consumers) {
    const filters = compiled(policy);
    if (filters instanceof InvalidPatternError) {
      // Stored before its pattern was refused (filters ran on JavaScript RegExp and
      // picomatch until RE2): that consumer gets nothing, the others still do.
      onInvalid(policy.id, filters);
      continue;
    }
    const { repositories, tags } = filters;
    const named = new Map<string, Set<string> | 'all'>();
    const digests = new Map<string, Set<string>>();
    const since: Record<string, string> = {};
    const eventIds: string[] = [];
    for (const event of events) {
      if (event.action === 'delete' && !policy.deletion) continue;
      if (!repositories.matches(event.repository)) continue;
      if (event.action === 'push' && event.tag === null) {
        if (!event.digest) continue;
        digests.set(
          event.repository,
          (digests.get(event.repository) ?? new Set()).add(event.digest),
        );
        eventIds.push(event.id);
        continue;
      }
      if (event.tag === null) {
        named.set(event.repository, 'all');
        eventIds.push(event.id);
        continue;
      }
      const attached = parseAttachedTag(event.tag) !== undefined;
      if (attached && event.action === 'delete') continue;
      if (!attached && !tags.matches(event.tag)) continue;
      if (tags.latest !== undefined && !attached) {
        // A new tag can push an older one out of the latest N: rank them all again.
        named.set(event.repository, 'all');
        eventIds.push(event.id);
        continue;
      }
      const known = named.get(event.repository);
      if (known === undefined) named.set(event.repository, new Set([event.tag]));
      else if (known !== 'all') known.add(event.tag);
      const key = `${event.repository}:${event.tag}`;
      const at = Math.min(event.occurredAt.getTime(), event.receivedAt.getTime());
      if (since[key] === undefined || at < Date.parse(since[key])) {
        since[key] = new Date(at).toISOString();
      }
      eventIds.push(event.id);
    }
    if (!eventIds.length) continue;
    const scope: ExecutionScope = {
      repositories: Object.fromEntries(
        [...named].map(([repository, t]) => [repository, t === 'all' ? [] : [...t].sort()]),
      ),
    };
    if (digests.size)
      scope.digests = Object.fromEntries(
        [...digests].map(([repository, set]) => [repository, [...set].sort()]),
      );
    if (Object.keys(since).length) scope.since = since;
    triggers.push({ consumerId: policy.id, scope, eventIds });
  }
  return triggers;
}

function compiled(
  consumer: EventConsumer,
): { repositories: NameFilter; tags: TagSelection } | InvalidPatternError {
  try {
    return {
      repositories: NameFilter.compile(consumer.repositories, consumer.excludeRepositories),
      tags: new TagSelection(consumer),
    };
  } catch (error) {
    if (error instanceof InvalidPatternError) return error;
    throw error;
  }
}
