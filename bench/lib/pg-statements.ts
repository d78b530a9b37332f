import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { descendantsOf } from './proc.js';

/** One statement's share of a run, from pg_stat_statements. */
export interface StatementFigure {
  query: string;
  calls: number;
  totalMs: number;
  /** Of totalMs, the time spent planning (track_planning). */
  planMs: number;
  rows: number;
}

/**
 * PostgreSQL statement statistics of regrelay's embedded cluster (BENCH_PG_STATEMENTS=1):
 * which statements a run sent, how often and for how long. The extension must be
 * preloaded, which takes a restart: `preload` sets it, the caller restarts regrelay,
 * `open` creates the extension and connects.
 */
export class PgStatements {
  private constructor(private readonly client: pg.Client) {}

  /** Connects to the embedded PostgreSQL under `regrelayPid` (found by its `-p` flag). */
  private static async connect(regrelayPid: number, dataDir: string): Promise<pg.Client> {
    let port: string | undefined;
    for (const pid of await descendantsOf(regrelayPid)) {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const i = argv.indexOf('-p');
      if (argv[0]?.endsWith('/postgres') && i > 0) port = argv[i + 1];
    }
    if (!port) throw new Error(`no embedded PostgreSQL found below pid ${regrelayPid}`);
    const password = (await readFile(join(dataDir, 'postgres.password'), 'utf8')).trim();
    const client = new pg.Client({
      host: '127.0.0.1',
      port: Number(port),
      user: 'postgres',
      password,
      database: 'regrelay',
    });
    await client.connect();
    return client;
  }

  /** Asks the cluster to load the extension at its next start. */
  static async preload(regrelayPid: number, dataDir: string): Promise<void> {
    const client = await PgStatements.connect(regrelayPid, dataDir);
    try {
      await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
      // Planning is part of what a statement costs the server: an unnamed statement is
      // planned on every call.
      await client.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
    } finally {
      await client.end();
    }
  }

  static async open(regrelayPid: number, dataDir: string): Promise<PgStatements> {
    const client = await PgStatements.connect(regrelayPid, dataDir);
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return new PgStatements(client);
  }

  async reset(): Promise<void> {
    await this.client.query('SELECT pg_stat_statements_reset()');
  }

  /** Statements since the last reset, most called first (this connection's own left out). */
  async read(
    limit = 15,
  ): Promise<{ calls: number; totalMs: number; planMs: number; top: StatementFigure[] }> {
    const { rows } = await this.client.query<{
      query: string;
      calls: string;
      total: number;
      plan: number;
      rows: string;
    }>(
      `SELECT query, calls, total_exec_time + total_plan_time AS total, total_plan_time AS plan, rows
         FROM pg_stat_statements
        WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`,
    );
    const all = rows.map((r) => ({
      query: r.query.replace(/\s+/g, ' ').slice(0, 160),
      calls: Number(r.calls),
      totalMs: r.total,
      planMs: r.plan,
      rows: Number(r.rows),
    }));
    return {
      calls: all.reduce((n, s) => n + s.calls, 0),
      totalMs: all.reduce((n, s) => n + s.totalMs, 0),
      planMs: all.reduce((n, s) => n + s.planMs, 0),
      top: all.slice(0, limit),
    };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
