import { setTimeout as sleep } from 'node:timers/promises';
import { DESTINATION_A, DESTINATION_B, trigger, type SoakWorld } from './soak-world.js';
import type { SourceModel } from './source-model.js';
import {
  contentsOf,
  describeDifference,
  differences,
  type Contents,
  type Difference,
} from './verdict.js';

/** Rounds of "run both policies on a quiet system", each bounded. */
const SETTLE_ROUNDS = 3;
const SETTLE_ROUND_MS = 6 * 60_000;

export interface SettleOptions {
  policies: string[];
  repositories: readonly string[];
  log: (message: string) => void;
}

/** A tag a destination got wrong, and where. */
export interface Wrong extends Difference {
  destination: string;
}

/**
 * Runs both policies on the quiet system until the destinations match the source (at
 * most SETTLE_ROUNDS rounds), each round waiting for every execution to end.
 *
 * One difference is the destination's and is tolerated, once checked: distribution
 * cannot delete a tag alone (the OCI API makes tag deletion optional), so a tag gone
 * from the source stays where other tags the source still has point at the same
 * manifest — deleting the manifest would take them too. It counts as kept only when
 * regrelay's last delete task for it says exactly that.
 */
export async function settle(world: SoakWorld, model: SourceModel, o: SettleOptions) {
  const expected = model.expected();
  // The model and the registry must agree, or the soak itself is wrong.
  const drift = differences(expected, await contentsOf(world.source.url, o.repositories));
  if (drift.length)
    return {
      rounds: 0,
      differencesByRound: [],
      kept: [],
      wrong: [],
      problems: drift.map((d) => describeDifference('source (model vs registry)', d)),
    };
  const destinations = [
    { name: DESTINATION_A, url: world.destinationA.url },
    { name: DESTINATION_B, url: world.destinationB.url },
  ];
  const differencesByRound: number[] = [];
  let wrong: Wrong[] = [];
  let kept: string[] = [];
  for (let round = 1; round <= SETTLE_ROUNDS; round++) {
    for (const policy of o.policies) await trigger(world, policy);
    await untilIdle(world, o.log);
    wrong = [];
    kept = [];
    for (const d of destinations) {
      const actual = await contentsOf(d.url, o.repositories);
      for (const difference of differences(expected, actual)) {
        if (await keptForWantOfTagDelete(world, d.name, difference, expected, actual))
          kept.push(describeDifference(d.name, difference));
        else wrong.push({ ...difference, destination: d.name });
      }
    }
    o.log(`settling, round ${round}: ${wrong.length} differences, ${kept.length} tags kept`);
    for (const w of wrong.slice(0, 5)) o.log(`  ${describeDifference(w.destination, w)}`);
    differencesByRound.push(wrong.length);
    if (!wrong.length) break;
  }
  return {
    rounds: differencesByRound.length,
    differencesByRound,
    kept,
    wrong,
    problems: wrong.map((w) => describeDifference(w.destination, w)),
  };
}

async function keptForWantOfTagDelete(
  world: SoakWorld,
  destination: string,
  d: Difference,
  expected: Contents,
  actual: Contents,
): Promise<boolean> {
  if (d.expected !== undefined || !d.found) return false;
  const wanted = expected.get(d.repository);
  const sharing = [...(actual.get(d.repository) ?? [])].filter(
    ([tag, digest]) => tag !== d.tag && digest === d.found && wanted?.get(tag) === digest,
  );
  if (!sharing.length) return false;
  const [last] = await world.cluster.query<{ status: string; reason: string | null }>(
    `SELECT t.status, t.reason FROM task t JOIN registry r ON r.id = t.destination_registry_id
     WHERE r.name = $1 AND t.destination_repository = $2 AND t.tag = $3 AND t.operation = 'delete'
     ORDER BY t.created_at DESC LIMIT 1`,
    [destination, d.repository, d.tag],
  );
  return last?.status === 'skipped' && !!last.reason?.includes('cannot delete a tag alone');
}

async function untilIdle(world: SoakWorld, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + SETTLE_ROUND_MS;
  while (Date.now() < deadline) {
    const [row] = await world.cluster.query<{ n: string }>(
      `SELECT count(*) AS n FROM execution WHERE status IN ('pending', 'running')`,
    );
    if (Number(row!.n) === 0) return;
    await sleep(1000);
  }
  log(`executions still open after ${SETTLE_ROUND_MS / 1000} s`);
}

/**
 * For each tag a destination got wrong: what regrelay recorded about it (ledger row,
 * its last tasks there), read before the soak's database goes away.
 */
export async function diagnose(world: SoakWorld, wrong: Wrong[]) {
  const found = [];
  for (const w of wrong.slice(0, 20)) {
    found.push({
      problem: describeDifference(w.destination, w),
      ledger: await world.cluster.query(
        `SELECT l.* FROM ledger l JOIN registry r ON r.id = l.destination_registry_id
         WHERE r.name = $1 AND l.repository = $2 AND l.tag = $3`,
        [w.destination, w.repository, w.tag],
      ),
      tasks: await world.cluster.query(
        `SELECT t.execution_id, e.trigger, e.status AS execution_status, t.operation, t.digest, t.status,
                t.reason, t.attempts, t.lease_owner, t.created_at, t.ended_at
         FROM task t JOIN execution e ON e.id = t.execution_id JOIN registry r ON r.id = t.destination_registry_id
         WHERE r.name = $1 AND t.destination_repository = $2 AND t.tag = $3
         ORDER BY t.created_at DESC LIMIT 12`,
        [w.destination, w.repository, w.tag],
      ),
    });
  }
  return found;
}
