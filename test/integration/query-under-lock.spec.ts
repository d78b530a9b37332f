import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { queryRows, queryUnderLock } from '../../src/database/sql.js';
import { createEmptyDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The one-round-trip lock (the task claim's) against a real PostgreSQL: statements
 * under it are serialised and each sees what the one before it committed; literals
 * written into SQL come back exactly as they went in; statements are prepared once
 * per connection.
 */
describe('queryUnderLock and prepared statements', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createEmptyDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 4 }),
    ).initialize();
    await dataSource.query('CREATE TABLE counted (n integer NOT NULL)');
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('serialises statements, each seeing what the holder before it committed', async () => {
    // Each statement reads the count and writes one more; the sleep keeps the first
    // holder in its transaction while the others wait for the lock. Were a snapshot
    // taken before the lock was granted, several would read the same count.
    const next = {
      name: 'test_count_next',
      sql: `INSERT INTO counted (n) SELECT count(*) + $1 FROM counted, pg_sleep(0.2) RETURNING n`,
      types: ['integer'],
    };
    const results = await Promise.all(
      [0, 1, 2].map(() => queryUnderLock<{ n: number }>(dataSource, 424242, next, [1])),
    );
    expect(results.map(([row]) => row!.n).sort()).toEqual([1, 2, 3]);
  });

  it('writes strings, numbers and arrays as literals that read back unchanged', async () => {
    const awkward = `it's a \\ back'slash; DROP TABLE counted; --`;
    const echo = {
      name: 'test_echo',
      sql: 'SELECT $1 AS s, $2 AS n, $3 AS a, $4 AS e, $5 AS u',
      types: ['text', 'float8', 'text[]', 'text[]', 'uuid[]'],
    };
    const [row] = await queryUnderLock<Record<string, unknown>>(dataSource, 424242, echo, [
      awkward,
      2.5,
      ['a', "b'c", 'd,e', '{f}'],
      [],
      [],
    ]);
    expect(row).toEqual({ s: awkward, n: 2.5, a: ['a', "b'c", 'd,e', '{f}'], e: [], u: [] });
    expect(await dataSource.query('SELECT count(*)::int AS n FROM counted')).toEqual([{ n: 3 }]);
  });

  it('prepares a statement once per connection, and again on a new one', async () => {
    const statement = { name: 'test_backend', sql: 'SELECT pg_backend_pid() AS pid', types: [] };
    const calls = 12;
    const pids = [];
    for (let i = 0; i < calls; i++) {
      const [row] = await queryUnderLock<{ pid: number }>(dataSource, 424242, statement, []);
      pids.push(row!.pid);
    }
    // Connections were reused, each preparing once: a second PREPARE of the name on a
    // connection fails, and an EXECUTE where it was never prepared fails too.
    expect(new Set(pids).size).toBeLessThan(calls);
    // A connection that ended takes its statements with it: the next one prepares anew.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pids.at(-1)]);
      while (
        (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pids.at(-1)])).rowCount
      )
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await admin.end();
    }
    const [again] = await retryOnce(() =>
      queryUnderLock<{ pid: number }>(dataSource, 424242, statement, []),
    );
    expect(again!.pid).not.toBe(pids.at(-1));
  });

  it('prepares again a statement whose rows changed shape under it (a migration elsewhere)', async () => {
    await dataSource.query('CREATE TABLE shaped (a integer)');
    await dataSource.query('INSERT INTO shaped VALUES (1)');
    const all = { name: 'test_shaped', sql: 'SELECT * FROM shaped', types: [] };
    // The pool's every connection prepares it (four at once: the pool's size).
    const before = await Promise.all(
      [0, 1, 2, 3].map(() => queryUnderLock(dataSource, 424243, all, [])),
    );
    expect(before).toEqual([[{ a: 1 }], [{ a: 1 }], [{ a: 1 }], [{ a: 1 }]]);
    await dataSource.query('ALTER TABLE shaped ADD COLUMN b integer DEFAULT 2');
    const after = await Promise.all(
      [0, 1, 2, 3].map(() => queryUnderLock(dataSource, 424243, all, [])),
    );
    expect(after).toEqual([[{ a: 1, b: 2 }], [{ a: 1, b: 2 }], [{ a: 1, b: 2 }], [{ a: 1, b: 2 }]]);
  });

  it('runs named statements through the extended protocol, in a transaction too', async () => {
    const sql = 'SELECT $1::int + 1 AS n';
    expect(await queryRows(dataSource, sql, [41], 'test_plus_one')).toEqual([{ n: 42 }]);
    const inside = await dataSource.transaction((manager) =>
      queryRows(manager, sql, [1], 'test_plus_one'),
    );
    expect(inside).toEqual([{ n: 2 }]);
  });

  it('refuses values that do not fit the statement, a bad name, a number that is not finite', async () => {
    const one = { name: 'test_one', sql: 'SELECT $1 AS v', types: ['integer'] };
    await expect(queryUnderLock(dataSource, 1, one, [])).rejects.toThrow(/takes 1 values, got 0/);
    await expect(queryUnderLock(dataSource, 1, one, [Number.NaN])).rejects.toThrow(
      /not a finite number/,
    );
    await expect(
      queryUnderLock(dataSource, 1, { ...one, name: 'x; DROP TABLE counted' }, [1]),
    ).rejects.toThrow(/not a statement name/);
    await expect(queryRows(dataSource, 'SELECT 1', [], 'Bad-Name')).rejects.toThrow(
      /not a statement name/,
    );
  });
});

/** The pool may hand out the terminated connection once before it notices. */
async function retryOnce<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    return work();
  }
}
