import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateToken } from '../../src/auth/token-format.js';
import type { ExecutionDto } from '../../src/replication/dto/execution.dto.js';
import { startRegrelayProcess, type RegrelayProcess } from '../../test/support/regrelay-process.js';
import type { TestRegistry } from '../../test/support/registry.js';
import { PgStatements } from './pg-statements.js';
import { describeRequests, parseRequestCounts } from './request-counts.js';

/** How often `run` asks whether the execution has ended. */
const POLL_MS = 250;

/**
 * REGRELAY_* variables set for the bench (other than the data directory, token and
 * secret key, which the bench owns) are passed to regrelay: the default run uses none, and the
 * report names any that were set.
 */
export function regrelaySettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[0].startsWith('REGRELAY_') &&
        !['REGRELAY_DATA_DIR', 'REGRELAY_ADMIN_TOKEN', 'REGRELAY_SECRET_KEY'].includes(e[0]) &&
        e[1] !== undefined,
    ),
  );
}

/** The coalescing window regrelay runs with (its default unless the bench was given one). */
export function coalesceWindowMs(): number {
  return Number(process.env.REGRELAY_EVENT_COALESCE_MS ?? 1000);
}

/** Where a regrelay under test keeps its data. */
export interface RegrelayStartOptions {
  /**
   * An external PostgreSQL shared with other replicas, and the secret key they all
   * share; without it, the embedded PostgreSQL under a fresh data directory.
   */
  database?: { url: string; secretKey: string };
  /** The admin token (replicas of one database use one); a fresh one by default. */
  token?: string;
}

/**
 * regrelay as an operator runs it: `node dist/main.js` with default settings, by
 * default on its embedded PostgreSQL under a fresh data directory, driven over its
 * REST API.
 */
export class RegrelayUnderTest {
  private constructor(
    private readonly app: RegrelayProcess,
    private readonly token: string,
    private readonly dataDir: string | undefined,
    /** With BENCH_PG_STATEMENTS=1 (embedded PostgreSQL): what each run asked of it, printed after it. */
    private readonly statements?: PgStatements,
  ) {}

  static async start(main: string, options: RegrelayStartOptions = {}): Promise<RegrelayUnderTest> {
    const { database } = options;
    const dataDir = database ? undefined : await mkdtemp(join(tmpdir(), 'regrelay-bench-'));
    const token = options.token ?? generateToken();
    const env = {
      REGRELAY_ADMIN_TOKEN: token,
      ...(database
        ? { DATABASE_URL: database.url, REGRELAY_SECRET_KEY: database.secretKey }
        : { REGRELAY_DATA_DIR: dataDir! }),
    };
    let child = await spawnRegrelay(main, env);
    if (!process.env.BENCH_PG_STATEMENTS || !dataDir)
      return new RegrelayUnderTest(child, token, dataDir);
    // The extension is loaded at PostgreSQL's start: set it, then start regrelay again.
    await PgStatements.preload(child.child.pid!, dataDir);
    await child.stop('SIGTERM');
    child = await spawnRegrelay(main, env);
    const statements = await PgStatements.open(child.child.pid!, dataDir);
    return new RegrelayUnderTest(child, token, dataDir, statements);
  }

  get pid(): number {
    return this.app.child.pid!;
  }

  /** `http://127.0.0.1:PORT`, where registries send their webhooks. */
  get url(): string {
    return this.app.url;
  }

  async stop(): Promise<void> {
    await this.statements?.close();
    await this.app.stop('SIGTERM');
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  async call<T>(method: string, path: string, body?: unknown, expected = 200): Promise<T> {
    const res = await fetch(`${this.app.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected)
      throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The text of regrelay's /metrics. */
  async metrics(): Promise<string> {
    return (await fetch(`${this.app.url}/metrics`)).text();
  }

  /** Registers a registry (or a proxy in front of one) by its URL. */
  async addRegistry(
    name: string,
    registry: Pick<TestRegistry, 'url'>,
    extra: object = {},
  ): Promise<string> {
    const { id } = await this.call<{ id: string }>(
      'POST',
      '/registries',
      { name, url: registry.url, ...extra },
      201,
    );
    return id;
  }

  /** A policy from `sourceId` to each destination (manual by default), every tag filtered in. */
  async addPolicy(
    name: string,
    sourceId: string,
    destinationIds: string[],
    repositories = ['**'],
    trigger: { type: 'manual' | 'event' } = { type: 'manual' },
    settings: { maxConcurrency?: number } = {},
  ): Promise<string> {
    const { id } = await this.call<{ id: string }>(
      'POST',
      '/policies',
      {
        name,
        sourceRegistryId: sourceId,
        destinations: destinationIds.map((registryId) => ({ registryId })),
        filters: { repositories, tags: ['**'] },
        trigger,
        override: true,
        deletion: false,
        enabled: true,
        ...settings,
      },
      201,
    );
    return id;
  }

  /** Waits (bounded) until no execution of the owner (a policy, a topology) is pending or running. */
  async idle(ownerKind: 'policy' | 'topology', ownerId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let active = 0;
      for (const status of ['pending', 'running'])
        active += (
          await this.call<{ total: number }>(
            'GET',
            `/executions?ownerKind=${ownerKind}&ownerId=${ownerId}&status=${status}&limit=1`,
          )
        ).total;
      if (!active) return;
      if (Date.now() > deadline)
        throw new Error(`${ownerKind} ${ownerId} was still busy after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /**
   * Triggers the policy and waits for the execution to end. The duration runs from
   * just before the trigger request to the execution's own `endedAt` (same clock),
   * so the polling interval does not add to it. The polls are few (every 250 ms, as
   * a dashboard would), so the bench's own API calls do not load the run it measures:
   * at every 50 ms they cost regrelay and its PostgreSQL ~5% of a many-small copy.
   */
  async run(
    policyId: string,
    timeoutMs: number,
  ): Promise<{ seconds: number; execution: ExecutionDto }> {
    await this.statements?.reset();
    const requestsBefore = process.env.BENCH_REQUESTS
      ? parseRequestCounts(await this.metrics())
      : undefined;
    const started = Date.now();
    const { id } = await this.call<{ id: string }>(
      'POST',
      `/policies/${policyId}/executions`,
      undefined,
      202,
    );
    const deadline = started + timeoutMs;
    for (;;) {
      const execution = await this.call<ExecutionDto>('GET', `/executions/${id}`);
      if (execution.status !== 'pending' && execution.status !== 'running') {
        if (execution.status !== 'succeeded')
          throw new Error(`execution ${id} ${execution.status}: ${execution.message ?? ''}`);
        if (this.statements) await this.printStatements(execution);
        if (requestsBefore) {
          const after = parseRequestCounts(await this.metrics());
          for (const line of describeRequests(requestsBefore, after, execution.counts.total))
            console.log(line);
        }
        return { seconds: (Date.parse(execution.endedAt!) - started) / 1000, execution };
      }
      if (Date.now() > deadline)
        throw new Error(`execution ${id} still ${execution.status} after ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  /** The statements of the run just ended, per tag of the execution. */
  private async printStatements(execution: ExecutionDto): Promise<void> {
    // Asynchronous bookkeeping after the end (the last NOTIFY, a progress write) settles.
    await sleep(200);
    const { calls, totalMs, planMs, top } = await this.statements!.read();
    const tags = Math.max(1, execution.counts.total);
    console.log(
      `  PostgreSQL: ${calls} statements (${(calls / tags).toFixed(1)} per tag), ` +
        `${totalMs.toFixed(0)} ms planning and executing (${planMs.toFixed(0)} ms planning), ` +
        `for ${execution.counts.total} tags`,
    );
    for (const s of top)
      console.log(
        `    ${String(s.calls).padStart(6)} ×  ${s.totalMs.toFixed(0).padStart(6)} ms ` +
          `(${s.planMs.toFixed(0).padStart(4)} planning)  ${s.query}`,
      );
  }
}

function spawnRegrelay(main: string, env: Record<string, string>): Promise<RegrelayProcess> {
  return startRegrelayProcess(
    {
      LOG_LEVEL: 'warn',
      ...regrelaySettings(),
      // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where regrelay spends a run
      ...(process.env.BENCH_REGRELAY_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_REGRELAY_NODE_OPTIONS }
        : {}),
      // Last, so that no setting passed through replaces what the bench owns.
      ...env,
    },
    main,
  ).then(async (child) => {
    await child.waitReady(120_000);
    return child;
  });
}
