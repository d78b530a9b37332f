import type { Measurement, Tool } from './harness.js';
import { coalesceWindowMs } from './regrelay.js';
import { formatSummary } from './stats.js';

export interface BenchResults {
  date: string;
  command: string;
  smoke: boolean;
  rounds: number;
  machine: Record<string, string>;
  datasets: Record<string, string>;
  measurements: Measurement[];
}

/** The bound on the time from a webhook's arrival to the first byte moving. */
const FIRST_BYTE_TARGET_S = 1.5;

interface TargetCheck {
  scenario: string;
  target: string;
  measured: string;
  met: boolean;
}

/** The targets, checked against the medians (worst round for memory and reads). */
export function checkTargets(r: BenchResults): TargetCheck[] {
  const find = (scenario: string, tool: Tool, metric: string) =>
    r.measurements.find((m) => m.scenario === scenario && m.tool === tool && m.metric === metric)
      ?.summary;
  const checks: TargetCheck[] = [];
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

  const [reg, sko, floor] = (['regrelay', 'skopeo sync', 'floor'] as const).map(
    (t) => find('bulk', t, 'MiBps')?.median,
  );
  if (reg !== undefined && sko !== undefined && floor !== undefined) {
    checks.push({
      scenario: 'bulk',
      target: 'regrelay ≥ 90% of the floor',
      measured: `${((reg / floor) * 100).toFixed(0)}% of the floor; ${ratio(reg, sko)} skopeo sync`,
      met: reg >= 0.9 * floor,
    });
  }
  // Round two's copy target: every copy scenario within 90% of what the protocol allows.
  for (const [scenario, metric] of [
    ['many small', 'tagsPerSecond'],
    ['fan-out', 'MiBps'],
  ] as const) {
    const [own, floorRate] = (['regrelay', 'floor'] as const).map(
      (t) => find(scenario, t, metric)?.median,
    );
    if (own === undefined || floorRate === undefined) continue;
    checks.push({
      scenario,
      target: 'regrelay ≥ 90% of the floor',
      measured: `${((own / floorRate) * 100).toFixed(0)}% of the floor`,
      met: own >= 0.9 * floorRate,
    });
  }
  // regrelay against skopeo sync on one many-small metric, in the metric's better direction.
  const versusSkopeo = (
    name: string,
    metric: string,
    factor: number,
    target: string,
    as: string,
  ) => {
    const [reg, sko] = (['regrelay', 'skopeo sync'] as const).map((tool) =>
      r.measurements.find(
        (m) => m.scenario === 'many small' && m.tool === tool && m.metric === metric,
      ),
    );
    if (!reg || !sko) return;
    const [a, b] = [reg.summary.median, sko.summary.median];
    const times = reg.better === 'higher' ? a / b : b / a;
    checks.push({
      scenario: name,
      target,
      measured: `${times.toFixed(2)}× ${as}`,
      met: times >= factor,
    });
  };
  versusSkopeo(
    'many small',
    'tagsPerSecond',
    3,
    'regrelay ≥ 3× skopeo sync (tags/s)',
    'skopeo sync',
  );
  versusSkopeo(
    'no-op resync',
    'resyncSeconds',
    5,
    'regrelay ≥ 5× faster than skopeo sync',
    'faster',
  );
  const large = find('large blob', 'regrelay', 'rssGrowthMiB');
  if (large) {
    checks.push({
      scenario: 'large blob',
      target: 'RSS growth < 64 MiB',
      measured: `${large.max.toFixed(1)} MiB at most`,
      met: large.max < 64,
    });
  }
  const fan = [
    find('fan-out', 'regrelay', 'MiBps'),
    find('fan-out', 'skopeo sync ×3 sequential', 'MiBps'),
  ];
  const reads = find('fan-out', 'regrelay', 'sourceReadRatio');
  if (fan[0] && fan[1] && reads) {
    checks.push({
      scenario: 'fan-out',
      target: '≥ 2× three sequential skopeo syncs; source reads ≤ 1.2× the data set',
      measured: `${ratio(fan[0].median, fan[1].median)}; reads ${reads.max.toFixed(2)}× at most`,
      met: fan[0].median >= 2 * fan[1].median && reads.max <= 1.2,
    });
  }
  const promotion = [
    find('promotion', 'regrelay', 'seconds'),
    find('promotion', 'skopeo copy', 'seconds'),
  ];
  const retag = [
    find('promotion', 'regrelay', 'retagSeconds'),
    find('promotion', 'regrelay', 'retagPuts'),
  ];
  if (promotion[0] && promotion[1] && retag[0] && retag[1]) {
    checks.push({
      scenario: 'promotion',
      target:
        '≤ 1.2× skopeo copy --all --preserve-digests; a retag is one manifest PUT, well under 1 s',
      measured:
        `${ratio(promotion[0].median, promotion[1].median)} skopeo copy; ` +
        `retag ${retag[0].max.toFixed(2)} s at most, ${retag[1].max} PUT`,
      met:
        promotion[0].median <= 1.2 * promotion[1].median && retag[1].max === 1 && retag[0].max < 1,
    });
  }
  const leaf = find('tree', 'regrelay', 'leafLagP50');
  const leaf99 = find('tree', 'regrelay', 'leafLagP99');
  const province = find('tree', 'regrelay', 'provinceLagP50');
  const rootReads = find('tree', 'regrelay', 'rootReadRatio');
  if (leaf && leaf99 && province && rootReads) {
    // The second hop (province → city) is one copy plus its hand-over: the copy time.
    const window = coalesceWindowMs() / 1000;
    const copy = Math.max(0, leaf.median - province.median);
    checks.push({
      scenario: 'tree',
      target:
        'every leaf within the coalescing window + about two copy times; the root read once per child (2×)',
      measured:
        `leaf p50 ${leaf.median.toFixed(2)} s, p99 ${leaf99.median.toFixed(2)} s (window ${window.toFixed(1)} s, ` +
        `a copy ≈ ${copy.toFixed(2)} s); root read ${rootReads.max.toFixed(2)}× at most`,
      met: leaf.median <= window + 2.5 * copy && rootReads.max <= 2.2,
    });
  }
  const first = find('webhook', 'regrelay', 'firstByteP50');
  const first99 = find('webhook', 'regrelay', 'firstByteP99');
  const done = find('webhook', 'regrelay', 'doneP50');
  if (first && first99 && done) {
    checks.push({
      scenario: 'webhook',
      target: `webhook arrival → first byte at the destination < ${FIRST_BYTE_TARGET_S} s (p99)`,
      measured:
        `p50 ${first.median.toFixed(2)} s, p99 ${first99.median.toFixed(2)} s ` +
        `(window ${(coalesceWindowMs() / 1000).toFixed(1)} s); done p50 ${done.median.toFixed(2)} s`,
      met: first99.median < FIRST_BYTE_TARGET_S,
    });
  }
  const hops = (['ab', 'ba'] as const).map((d) => ({
    p50: find('dual-master pair', 'regrelay', `${d}HopP50`),
    p99: find('dual-master pair', 'regrelay', `${d}HopP99`),
  }));
  if (first && done && hops.every((h) => h.p50 && h.p99)) {
    // A hop is a webhook's way to the first byte plus one copy of the image.
    const copy = Math.max(0, done.median - first.median);
    const bound = FIRST_BYTE_TARGET_S + copy;
    const [ab, ba] = hops.map((h) => ({ p50: h.p50!.median, p99: h.p99!.median }));
    checks.push({
      scenario: 'dual-master pair',
      target: `each direction's hop < ${FIRST_BYTE_TARGET_S} s + one copy (p99)`,
      measured:
        `A → B p50 ${ab!.p50.toFixed(2)} s, p99 ${ab!.p99.toFixed(2)} s; ` +
        `B → A p50 ${ba!.p50.toFixed(2)} s, p99 ${ba!.p99.toFixed(2)} s (a copy ≈ ${copy.toFixed(2)} s)`,
      met: ab!.p99 < bound && ba!.p99 < bound,
    });
  }
  const plans = r.measurements
    .filter((m) => m.scenario === 'planning')
    .map((m) => ({ tags: Number(m.metric.replace('noop', '')), seconds: m.summary.median }))
    .sort((a, b) => a.tags - b.tags);
  if (plans.length === 2) {
    const [few, many] = plans as [
      { tags: number; seconds: number },
      { tags: number; seconds: number },
    ];
    const growth = many.seconds / many.tags / (few.seconds / few.tags);
    checks.push({
      scenario: 'planning',
      target: 'linear in tags; 10,000 tags no-op < 30 s',
      measured:
        `${many.tags} tags ${many.seconds.toFixed(1)} s, ${few.tags} tags ${few.seconds.toFixed(1)} s; ` +
        `time per tag ×${growth.toFixed(2)} from the small to the large set`,
      met: growth <= 1.5 && (many.tags < 10_000 || many.seconds < 30),
    });
  }
  for (const scenario of new Set(r.measurements.map((m) => m.scenario))) {
    if (!scenario.startsWith('resync ')) continue;
    const tags = Number(scenario.slice('resync '.length));
    const [reg, sko, floor] = [
      find(scenario, 'regrelay', 'seconds'),
      find(scenario, 'skopeo sync', 'seconds'),
      find(scenario, 'floor', 'seconds'),
    ];
    if (!reg || !sko) continue;
    const factor = tags >= 5000 ? 10 : 5;
    // The floor (one HEAD per tag per side) bounds what any tool can reach.
    const ofFloor = floor
      ? `; ${((floor.median / reg.median) * 100).toFixed(0)}% of the floor's speed (floor ${ratio(sko.median, floor.median)} skopeo)`
      : '';
    checks.push({
      scenario: `no-op resync, ${tags} tags`,
      target: `regrelay ≥ ${factor}× faster than skopeo sync`,
      measured: `${ratio(sko.median, reg.median)} faster (${reg.median.toFixed(2)} s vs ${sko.median.toFixed(2)} s)${ofFloor}`,
      met: sko.median >= factor * reg.median,
    });
  }
  const scale = r.measurements
    .filter((m) => m.scenario === 'planning-scale' && m.metric.startsWith('noop'))
    .map((m) => {
      const tags = Number(m.metric.slice(4));
      return {
        tags,
        seconds: m.summary.median,
        rss: find('planning-scale', 'regrelay', `peakRss${tags}`)?.max ?? NaN,
      };
    })
    .sort((a, b) => a.tags - b.tags);
  if (scale.length >= 2) {
    const few = scale[0]!;
    const many = scale.at(-1)!;
    const growth = many.seconds / many.tags / (few.seconds / few.tags);
    checks.push({
      scenario: 'planning scale',
      target: 'no-op of 100,000 tags < 60 s, regrelay RSS < 300 MiB, linear',
      measured:
        scale
          .map((s) => `${s.tags} tags ${s.seconds.toFixed(1)} s, ${s.rss.toFixed(0)} MiB`)
          .join('; ') + `; time per tag ×${growth.toFixed(2)} from the smallest to the largest`,
      met:
        growth <= 1.5 &&
        scale.every((s) => s.rss < 300) &&
        (many.tags < 100_000 || many.seconds < 60),
    });
  }
  const replicas = replicasCheck(r);
  if (replicas) checks.push(replicas);
  return checks;
}

/** Two replicas on one PostgreSQL at least as fast as one, and how the work split. */
function replicasCheck(r: BenchResults): TargetCheck | undefined {
  const median = (tool: Tool, metric: string) =>
    r.measurements.find((m) => m.scenario === 'replicas' && m.tool === tool && m.metric === metric)
      ?.summary.median;
  const [one, two] = [median('1 replica', 'tagsPerSecond'), median('2 replicas', 'tagsPerSecond')];
  if (one === undefined || two === undefined) return undefined;
  const [tasks1, tasks2] = [
    median('2 replicas', 'tasksReplica1'),
    median('2 replicas', 'tasksReplica2'),
  ];
  const [cpu1, cpu2] = [median('2 replicas', 'cpuReplica1'), median('2 replicas', 'cpuReplica2')];
  const split =
    tasks1 !== undefined && tasks2 !== undefined && cpu1 !== undefined && cpu2 !== undefined
      ? `; tasks split ${tasks1.toFixed(0)} / ${tasks2.toFixed(0)}, CPU ${cpu1.toFixed(1)} s / ${cpu2.toFixed(1)} s`
      : '';
  // The same concurrency as one process: what sharing the queue itself costs.
  const capped = median('2 replicas, capped', 'tagsPerSecond');
  const same =
    capped === undefined
      ? ''
      : `; capped by the policy at one replica's tasks at once, ${(capped / one).toFixed(2)}×`;
  return {
    scenario: 'replicas',
    target: 'two replicas on one PostgreSQL ≥ one replica (tags/s)',
    measured: `${(two / one).toFixed(2)}× one replica (${two.toFixed(1)} vs ${one.toFixed(1)} tags/s)${split}${same}`,
    met: two >= one,
  };
}

const TOOL_ORDER: Tool[] = [
  'regrelay',
  'skopeo sync',
  'skopeo sync ×3 sequential',
  'skopeo sync ×3 parallel',
  'skopeo copy',
  'floor',
  '1 replica',
  '2 replicas',
  '2 replicas, capped',
];
/** What the last column divides by: regrelay, or one replica where replicas are compared. */
const BASELINES: Tool[] = ['regrelay', '1 replica'];

export function renderMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`Run on ${r.date} with \`${r.command}\` (${r.rounds} rounds, tools alternating).`, '');
  lines.push('| machine | |', '| --- | --- |');
  for (const [k, v] of Object.entries(r.machine)) lines.push(`| ${k} | ${v} |`);
  lines.push('', '| data set | |', '| --- | --- |');
  for (const [k, v] of Object.entries(r.datasets)) lines.push(`| ${k} | ${v} |`);

  lines.push(
    '',
    '### Targets',
    '',
    '| scenario | target | measured | met |',
    '| --- | --- | --- | --- |',
  );
  for (const c of checkTargets(r))
    lines.push(`| ${c.scenario} | ${c.target} | ${c.measured} | ${c.met ? 'yes' : '**no**'} |`);

  lines.push(
    '',
    '### All measurements',
    '',
    'Median (min–max) over the rounds.',
    '',
    '| scenario | measure | tool | value | ÷ regrelay (or 1 replica) |',
    '| --- | --- | --- | --- | --- |',
  );
  const scenarios = [...new Set(r.measurements.map((m) => m.scenario))];
  for (const scenario of scenarios) {
    const ofScenario = r.measurements.filter((m) => m.scenario === scenario);
    for (const metric of [...new Set(ofScenario.map((m) => m.metric))]) {
      const rows = ofScenario
        .filter((m) => m.metric === metric)
        .sort((a, b) => TOOL_ORDER.indexOf(a.tool) - TOOL_ORDER.indexOf(b.tool));
      const base = rows.find((m) => BASELINES.includes(m.tool));
      const reg = base?.summary.median;
      for (const m of rows) {
        const relative = reg && m !== base ? `${(m.summary.median / reg).toFixed(2)}` : '';
        lines.push(
          `| ${scenario} | ${label(metric)} (${m.unit}) | ${m.tool} | ${formatSummary(m.summary, 2)} | ${relative} |`,
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}

function label(metric: string): string {
  const known: Record<string, string> = {
    MiBps: 'throughput',
    rssGrowthMiB: 'RSS growth',
    cpuSeconds: "the tool's own process CPU",
    tagsPerSecond: 'copy rate',
    resyncSeconds: 'no-op resync',
    seconds: 'time',
    retagSeconds: 'retag (stage holds the digest)',
    retagPuts: 'retag requests written',
    copySeconds: "of which the copy's execution",
    sourceReadRatio: 'source bytes read',
    provinceLagP50: 'root → province lag p50',
    leafLagP50: 'root → leaf lag p50',
    leafLagP99: 'root → leaf lag p99',
    rootReadRatio: 'bytes read from the root',
    firstByteP50: 'webhook arrival → first blob byte p50',
    firstByteP99: 'webhook arrival → first blob byte p99',
    doneP50: 'webhook arrival → manifest written p50',
    doneP99: 'webhook arrival → manifest written p99',
    toExecutionP50: 'of which arrival → execution created (window) p50',
    toStartP50: 'of which execution created → started p50',
    toTaskP50: 'of which execution started → copy task claimed p50',
    toBytesP50: 'of which copy task claimed → first blob byte p50',
    requestsBeforeBytes: 'destination requests before the first blob byte',
    notifyP50: 'source manifest PUT returned → webhook arrival p50',
    abHopP50: 'push on A → at B p50',
    abHopP99: 'push on A → at B p99',
    baHopP50: 'push on B → at A p50',
    baHopP99: 'push on B → at A p99',
    fixedSeconds: 'an execution with nothing to do',
    cpuRegrelay: 'CPU of regrelay',
    cpuPostgres: "CPU of regrelay's PostgreSQL",
    cpuRegistries: 'CPU of both registries',
    tasksReplica1: 'tasks finished by replica 1 (triggered)',
    tasksReplica2: 'tasks finished by replica 2',
    cpuReplica1: 'CPU of replica 1',
    cpuReplica2: 'CPU of replica 2',
    cpuSharedPostgres: 'CPU of the shared PostgreSQL server',
  };
  if (metric.startsWith('noop')) return `no-op plan, ${metric.slice(4)} tags`;
  if (metric.startsWith('peakRss')) return `regrelay peak RSS, ${metric.slice(7)} tags`;
  if (/^cpu\d+$/.test(metric)) return `regrelay process CPU, ${metric.slice(3)} tags`;
  return known[metric] ?? metric;
}
