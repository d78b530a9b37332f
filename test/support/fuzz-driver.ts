import { setTimeout as sleep } from 'node:timers/promises';
import { FuzzFixture } from './fuzz-fixture.js';
import { describeFault, proxyRuleOf } from './fuzz-faults.js';
import { nodesOf, planRun, type FuzzPlan, type Step } from './fuzz-plan.js';
import { FuzzChecks } from './fuzz-checks.js';
import { metricSum } from './metrics.js';
import type { TakenEvent } from './notification-gate.js';
import { json, tasks } from './replication-api.js';
import {
  describeOp,
  PAIRS,
  World,
  type Content,
  type Op,
  type Place,
  type Side,
  type Target,
} from './topology-model.js';

export interface SeedOptions {
  seed: number;
  steps: number;
  /** How long nothing may move after quiescence (no ping-pong). */
  quietMs: number;
  /** A fresh, empty or migrated, database for this run. */
  databaseUrl: string;
  /** regrelay's dist/main.js, when not this checkout's (a runner compiled elsewhere). */
  main?: string;
  /** Bounds each wait for quiescence. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  seconds: number;
  /** The plan, what happened, and on failure why, with regrelay's last words. */
  report: string;
}

/**
 * Runs one seed of the convergence fuzz: the plan's initial pushes, the topologies'
 * creation (their backfill), then every step (ops at once, its fault), each followed
 * by quiescence checked against the model; then anti-entropy dry runs, and a quiet
 * period in which no execution may move a byte.
 */
export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const plan = planRun(options.seed, options.steps);
  const lines: string[] = [];
  const log = (line: string) => {
    const stamped = `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`;
    lines.push(stamped);
    options.log?.(stamped);
  };
  let fixture: FuzzFixture | undefined;
  let failure: string | undefined;
  try {
    fixture = await FuzzFixture.start(options.databaseUrl, options.main);
    await new SeedRun(plan, fixture, options, log).run();
  } catch (error) {
    failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (fixture) failure += `\n\nregrelay's last lines:\n${fixture.outputTail()}`;
  } finally {
    await fixture?.close().catch((error: unknown) => log(`closing the fixture: ${String(error)}`));
  }
  const seconds = (Date.now() - started) / 1000;
  const reproduce = `npm run fuzz -- --seed ${options.seed} --steps ${options.steps}`;
  const report = [
    `seed ${options.seed}: ${failure ? 'FAILED' : 'converged'} in ${seconds.toFixed(0)} s (reproduce: ${reproduce})`,
    describePlan(plan),
    'run:',
    ...lines,
    ...(failure ? ['', `failure: ${failure}`] : []),
  ].join('\n');
  return { seed: options.seed, ok: !failure, seconds, report };
}

/** The plan as text: initial pushes, then each step's ops and fault. */
export function describePlan(plan: FuzzPlan): string {
  const out = [`plan of seed ${plan.seed}:`, '  before the topologies:'];
  for (const op of plan.initial) out.push(`    ${describeOp(op)}`);
  for (const step of plan.steps) {
    out.push(
      `  step ${step.index + 1}${step.fault ? `, fault: ${describeFault(step.fault)}` : ''}`,
    );
    for (const op of step.ops) out.push(`    ${describeOp(op)}`);
  }
  return out.join('\n');
}

class SeedRun {
  private readonly world = new World();
  private readonly digests = new Map<Content, string>();
  private readonly checks: FuzzChecks;

  constructor(
    private readonly plan: FuzzPlan,
    private readonly fixture: FuzzFixture,
    private readonly options: SeedOptions,
    private readonly log: (line: string) => void,
  ) {
    this.checks = new FuzzChecks(fixture, this.digests, options.settleTimeoutMs ?? 180_000);
  }

  async run(): Promise<void> {
    for (const op of this.plan.initial) await this.perform(op, false);
    for (const op of this.plan.initial) this.world.apply(op);
    await this.fixture.createTopologies();
    this.log('topologies created (their backfill runs)');
    await this.settle('the backfill');
    for (const step of this.plan.steps) {
      await this.step(step);
      for (const op of step.ops) this.world.apply(op);
      await this.settle(`step ${step.index + 1}`);
      if (step.fault?.kind === 'lose-echoes') {
        const gate = this.fixture.node(step.fault.node).gate!;
        gate.lose(undefined);
        this.log(`  ${step.fault.node} lost ${gate.lost} event(s) of regrelay's own writes so far`);
      }
    }
    await this.checks.antiEntropyFindsNothing();
    this.log("a dry run of every topology's sync finds nothing to copy or delete");
    await this.quiet();
  }

  private async settle(what: string): Promise<void> {
    const waited = await this.checks.converged(this.world, what);
    this.log(
      `${what}: every node as modelled, conflicts as modelled, idle (${(waited / 1000).toFixed(1)} s)`,
    );
  }

  private async step(step: Step): Promise<void> {
    const f = step.fault;
    this.log(
      `step ${step.index + 1}: ${step.ops.length} op(s)${f ? `, fault: ${describeFault(f)}` : ''}`,
    );
    const marks = this.marks();
    if (f?.kind === 'lose-echoes') {
      // Only people's changes get through: what regrelay's own writes report is lost.
      const mine = this.userEvents(step.ops).filter((e) => e.node === f.node);
      this.fixture.node(f.node).gate!.lose((e) => mine.some((m) => m.match(e)));
    }
    if (f?.kind === 'stop-registry' && f.when === 'before-ops')
      await this.fixture.stopRegistry(f.node);
    const rule =
      f?.kind === 'drop-connection'
        ? this.fixture.node(f.node).proxy.add(proxyRuleOf(f))
        : undefined;
    await Promise.all(step.ops.map((op) => this.perform(op, true)));
    if (f?.kind === 'stop-registry') {
      if (f.when === 'after-ops') {
        await this.webhooksTaken(step.ops, marks);
        await sleep(f.afterMs);
        await this.fixture.stopRegistry(f.node);
      }
      await sleep(f.downMs);
      await this.fixture.startRegistry(f.node);
      // A pair compares on events: a copy that failed for good while a side was down
      // is repaired by anti-entropy, as reconcile.cron would do.
      const pair = (Object.keys(PAIRS) as (keyof typeof PAIRS)[]).find((p) =>
        nodesOf(p).includes(f.node),
      );
      if (pair) {
        await this.fixture.sync(pair);
        this.log(`  ${f.node} is back; anti-entropy sync of ${pair} requested`);
      }
    }
    if (f?.kind === 'kill-regrelay') {
      await sleep(f.afterMs);
      await this.fixture.killRegrelay();
      await sleep(f.downMs);
      await this.fixture.startRegrelay();
      this.log('  regrelay SIGKILLed and started again');
    }
    // What follows assumes regrelay heard of every change of the step.
    await this.webhooksTaken(step.ops, marks);
    if (f?.kind === 'drop-connection') {
      const proxy = this.fixture.node(f.node).proxy;
      this.log(
        `  ${f.node}'s proxy ${rule?.fired() ? 'cut a request' : 'saw no matching request (nothing cut)'} among ${proxy.seen.length} this step`,
      );
      proxy.clear();
    }
  }

  /** What a person does: pushes and deletes straight at the registries, or a resolve over the API. */
  private async perform(op: Op, gated: boolean): Promise<void> {
    switch (op.kind) {
      case 'push':
        return this.push(op.target, op.place, op.repository, op.tag, op.content);
      case 'delete':
        return this.deleteManifest(op.target, op.place, op.repository, op.tag);
      case 'both-push':
        return this.atOnce(op.target, gated, () => [
          this.push(op.target, 'a', op.repository, op.tag, op.a),
          this.push(op.target, 'b', op.repository, op.tag, op.b),
        ]);
      case 'delete-and-push': {
        const pushOn: Side = op.deleteOn === 'a' ? 'b' : 'a';
        return this.atOnce(op.target, gated, () => [
          this.deleteManifest(op.target, op.deleteOn, op.repository, op.tag),
          this.push(op.target, pushOn, op.repository, op.tag, op.content),
        ]);
      }
      case 'resolve':
        return this.resolve(op);
    }
  }

  /** Both sides' changes land before regrelay hears of either (their webhooks wait at the gates). */
  private async atOnce(target: Target, gated: boolean, work: () => Promise<void>[]): Promise<void> {
    const gates = gated ? nodesOf(target).map((n) => this.fixture.node(n).gate!) : [];
    for (const gate of gates) gate.hold();
    try {
      await Promise.all(work());
    } finally {
      for (const gate of gates) gate.release();
    }
  }

  private nodeOf(target: Target, place: Place) {
    return this.fixture.node(target === 'tree' ? 'hq' : PAIRS[target].sides[place as Side]);
  }

  private async push(
    target: Target,
    place: Place,
    repository: string,
    tag: string,
    content: Content,
  ) {
    const spec = this.plan.contents.get(content)!;
    const pushed = await this.nodeOf(target, place).builder.image(repository, {
      tag,
      layers: spec.layers,
    });
    const known = this.digests.get(content);
    if (known && known !== pushed.descriptor.digest)
      throw new Error(
        `content ${content} pushed as ${pushed.descriptor.digest}, earlier as ${known}`,
      );
    this.digests.set(content, pushed.descriptor.digest);
  }

  private async deleteManifest(target: Target, place: Place, repository: string, tag: string) {
    const content = this.world.catalogOf(target, place).get(repository, tag);
    const digest = content && this.digests.get(content);
    if (!digest) throw new Error(`model: nothing known at ${target}/${place} ${repository}:${tag}`);
    await this.nodeOf(target, place).client.deleteManifest(repository, digest);
  }

  private async resolve(op: Extract<Op, { kind: 'resolve' }>): Promise<void> {
    const conflict = (await this.fixture.conflicts(op.target)).find(
      (c) => c.repository === op.repository && c.tag === op.tag && c.resolution === 'held',
    );
    if (!conflict)
      throw new Error(`no held conflict listed at ${op.repository}:${op.tag} to resolve`);
    const winner = this.fixture.node(PAIRS[op.target].sides[op.winner]).id;
    await json(
      await this.fixture.api.api(
        `/api/v1/topologies/${this.fixture.topologyIds[op.target]}/conflicts/${conflict.id}/resolve`,
        { method: 'POST', json: { registryId: winner } },
      ),
    );
  }

  /** How many webhook events each gate has passed so far. */
  private marks(): Map<string, number> {
    return new Map(
      [...this.fixture.nodes.values()].flatMap((n) =>
        n.gate ? [[n.name, n.gate.taken.length]] : [],
      ),
    );
  }

  /** Waits until regrelay has taken the webhook of every push and delete of the ops (since `marks`). */
  private async webhooksTaken(ops: Op[], marks: Map<string, number>): Promise<void> {
    for (const e of this.userEvents(ops))
      await this.fixture
        .node(e.node)
        .gate!.waitTaken(e.what, e.match, { since: marks.get(e.node) ?? 0 });
  }

  /** The webhook events people's pushes and deletes of these ops make, per registry. */
  private userEvents(
    ops: Op[],
  ): { node: string; what: string; match: (e: TakenEvent) => boolean }[] {
    const events: { node: string; what: string; match: (e: TakenEvent) => boolean }[] = [];
    const pushed = (target: Target, place: Place, repository: string, tag: string) =>
      events.push({
        node: this.nodeOf(target, place).name,
        what: `the push of ${repository}:${tag}`,
        match: (e) => e.action === 'push' && e.repository === repository && e.tag === tag,
      });
    const deleted = (target: Target, place: Place, repository: string, tag: string) => {
      const digest = this.digests.get(this.world.catalogOf(target, place).get(repository, tag)!);
      events.push({
        node: this.nodeOf(target, place).name,
        what: `the delete of ${repository}@${digest}`,
        match: (e) => e.action === 'delete' && e.repository === repository && e.digest === digest,
      });
    };
    for (const op of ops) {
      if (op.kind === 'push') pushed(op.target, op.place, op.repository, op.tag);
      if (op.kind === 'delete') deleted(op.target, op.place, op.repository, op.tag);
      if (op.kind === 'both-push')
        for (const s of ['a', 'b'] as const) pushed(op.target, s, op.repository, op.tag);
      if (op.kind === 'delete-and-push') {
        deleted(op.target, op.deleteOn, op.repository, op.tag);
        pushed(op.target, op.deleteOn === 'a' ? 'b' : 'a', op.repository, op.tag);
      }
    }
    return events;
  }

  /** After quiescence: for a while, no execution moves a byte and nothing changes anywhere. */
  private async quiet(): Promise<void> {
    const bytes = await metricSum(this.fixture.api, 'regrelay_bytes_transferred_total');
    const before = new Set((await this.fixture.executions()).map((e) => e.id));
    await sleep(this.options.quietMs);
    const after = await metricSum(this.fixture.api, 'regrelay_bytes_transferred_total');
    const fresh = (await this.fixture.executions()).filter((e) => !before.has(e.id));
    const copies: string[] = [];
    for (const e of fresh)
      for (const t of await tasks(this.fixture.api, e.id))
        if (t.operation === 'copy' && t.status === 'succeeded')
          copies.push(
            `${e.owner.name}: ${t.destinationRegistry} ${t.destinationRepository}:${t.tag}`,
          );
    if (after !== bytes || copies.length)
      throw new Error(
        `not quiet after quiescence: ${after - bytes} bytes moved in ${this.options.quietMs} ms; copies: ${copies.join('; ') || 'none'}`,
      );
    await this.checks.converged(this.world, 'the end of the quiet period', { once: true });
    this.log(
      `quiet for ${(this.options.quietMs / 1000).toFixed(0)} s: no byte moved (${fresh.length} execution(s) started, none copied), every node still as modelled`,
    );
  }
}
