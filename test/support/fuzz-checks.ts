import { setTimeout as sleep } from 'node:timers/promises';
import type { FuzzFixture, Holdings } from './fuzz-fixture.js';
import { tasks } from './replication-api.js';
import { PAIR_NAMES, PAIRS, type Content, type World } from './topology-model.js';

const POLL_MS = 500;

/** What the fuzz checks against the model: holdings, conflicts, anti-entropy. */
export class FuzzChecks {
  constructor(
    private readonly fixture: FuzzFixture,
    private readonly digests: ReadonlyMap<Content, string>,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Waits (bounded) until every node holds exactly what the model says, the pairs
   * list exactly the model's conflicts, and regrelay is idle (no event waiting, no
   * topology execution pending or running, no delivery waiting); `once` looks a
   * single time. Returns how long it waited; throws with every difference.
   */
  async converged(world: World, what: string, { once = false } = {}): Promise<number> {
    const started = Date.now();
    const expected = this.expectedHoldings(world);
    for (;;) {
      const diff = this.differences(expected, await this.fixture.holdings());
      const conflicts = diff.length ? [] : await this.conflictDifferences(world);
      const busy = diff.length || conflicts.length ? undefined : await this.fixture.busy();
      if (!diff.length && !conflicts.length && !busy) return Date.now() - started;
      const last = diff.length
        ? `${diff.length} difference(s) from the model:\n  ${diff.slice(0, 40).join('\n  ')}`
        : conflicts.length
          ? conflicts.join('\n  ')
          : `every node and conflict as modelled, but regrelay is not idle: ${busy}`;
      if (once || Date.now() - started > this.timeoutMs)
        throw new Error(
          `${what}: not converged${once ? '' : ` within ${this.timeoutMs / 1000} s`}; ${last}\n${await this.executionSummary()}`,
        );
      await sleep(POLL_MS);
    }
  }

  /** How the conflicts each pair lists differ from the model's (digests per side, resolution, outcome). */
  private async conflictDifferences(world: World): Promise<string[]> {
    const problems: string[] = [];
    for (const pair of PAIR_NAMES) {
      const ids = {
        a: this.fixture.node(PAIRS[pair].sides.a).id,
        b: this.fixture.node(PAIRS[pair].sides.b).id,
      };
      const expected = world.pairs[pair].conflicts
        .map((c) =>
          conflictLine(
            c.repository,
            c.tag,
            c.resolution,
            this.digestOf(c.digests.a),
            this.digestOf(c.digests.b),
            this.digestOf(c.resolved),
          ),
        )
        .sort();
      const listed = await this.fixture.conflicts(pair);
      const actual = listed
        .map((c) =>
          conflictLine(
            c.repository,
            c.tag,
            c.resolution,
            c.digests[ids.a] ?? null,
            c.digests[ids.b] ?? null,
            c.resolvedDigest,
          ),
        )
        .sort();
      for (const c of listed)
        if ((c.resolution === 'held') !== (c.resolvedAt === null))
          problems.push(
            `${pair}: conflict ${c.repository}:${c.tag} is ${c.resolution} but resolvedAt is ${c.resolvedAt}`,
          );
      if (JSON.stringify(expected) !== JSON.stringify(actual))
        problems.push(
          `${pair}: conflicts listed differ from the model\n    expected:\n      ${this.named(expected).join('\n      ') || '(none)'}\n    listed:\n      ${this.named(actual).join('\n      ') || '(none)'}`,
        );
    }
    return problems;
  }

  /** A dry run of a full sync of every topology finds nothing to copy or delete. */
  async antiEntropyFindsNothing(): Promise<void> {
    const problems: string[] = [];
    for (const target of ['tree', ...PAIR_NAMES] as const) {
      const plan = await this.fixture.plan(target);
      if (plan.copies || plan.deletions)
        problems.push(
          `${target}: a sync would make ${plan.copies} copies and ${plan.deletions} deletions: ${JSON.stringify(plan.items.slice(0, 10))}`,
        );
    }
    if (problems.length) throw new Error(`anti-entropy after quiescence: ${problems.join('; ')}`);
  }

  private expectedHoldings(world: World): Holdings {
    const out: Holdings = new Map();
    for (const [node, repos] of world.expected()) {
      const r = new Map<string, Map<string, string>>();
      for (const [repository, tags] of repos)
        r.set(
          repository,
          new Map([...tags].map(([tag, content]) => [tag, this.digestOf(content)!])),
        );
      out.set(node, r);
    }
    return out;
  }

  private digestOf(content: Content | null): string | null {
    if (content === null) return null;
    const digest = this.digests.get(content);
    if (!digest) throw new Error(`content ${content} was never pushed`);
    return digest;
  }

  /** Digests with their content names, so a report reads in the plan's terms. */
  private named(lines: string[]): string[] {
    const names = new Map([...this.digests].map(([c, d]) => [d, c]));
    return lines.map((l) =>
      l.replace(/sha256:[0-9a-f]{64}/g, (d) => `${names.get(d) ?? '?'}(${d.slice(7, 19)})`),
    );
  }

  private differences(expected: Holdings, actual: Holdings): string[] {
    const diff: string[] = [];
    for (const [node, repos] of expected) {
      for (const [repository, tags] of repos) {
        const found = actual.get(node)?.get(repository) ?? new Map<string, string>();
        for (const tag of new Set([...tags.keys(), ...found.keys()])) {
          const [want, got] = [tags.get(tag), found.get(tag)];
          if (want !== got)
            diff.push(
              `${node} ${repository}:${tag}: expected ${want ?? 'absent'}, found ${got ?? 'absent'}`,
            );
        }
      }
    }
    return this.named(diff.sort());
  }

  /** The latest topology executions and their failed or skipped tasks, for a report. */
  private async executionSummary(): Promise<string> {
    try {
      const executions = (await this.fixture.executions()).slice(0, 12);
      const lines = executions.map(
        (e) =>
          `  ${e.createdAt} ${e.owner.name}/${e.owner.lane ?? '-'} ${e.trigger} ${e.status} ${JSON.stringify(e.counts)}${e.message ? ` — ${e.message}` : ''}`,
      );
      for (const e of executions.slice(0, 6)) {
        if (!e.counts.failed && !e.counts.skipped) continue;
        for (const t of await tasks(this.fixture.api, e.id))
          if (t.status === 'failed' || t.status === 'skipped')
            lines.push(
              `    ${e.id.slice(0, 8)} ${t.operation} ${t.destinationRegistry} ${t.destinationRepository}:${t.tag} ${t.status}: ${t.reason}`,
            );
      }
      return `latest topology executions:\n${lines.join('\n')}`;
    } catch (error) {
      return `(executions could not be listed: ${String(error)})`;
    }
  }
}

function conflictLine(
  repository: string,
  tag: string,
  resolution: string,
  a: string | null,
  b: string | null,
  resolved: string | null,
): string {
  return `${repository}:${tag} ${resolution} a=${a ?? 'absent'} b=${b ?? 'absent'} → ${resolved ?? 'none'}`;
}
