import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { inlineParameters, queryUnderLock } from '../../src/database/sql.js';
import { createEmptyDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The one-round-trip lock (the task claim's) against a real PostgreSQL: statements
 * under it are serialised and each sees what the one before it committed; literals
 * written into SQL come back exactly as they went in.
 */
describe('queryUnderLock and inlineParameters', () => {
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
    const next = `INSERT INTO counted (n)
                  SELECT count(*) + 1 FROM counted, pg_sleep(0.2) RETURNING n`;
    const results = await Promise.all(
      [0, 1, 2].map(() => queryUnderLock<{ n: number }>(dataSource, 424242, next)),
    );
    expect(results.map(([row]) => row!.n).sort()).toEqual([1, 2, 3]);
  });

  it('writes strings, numbers and arrays as literals that read back unchanged', async () => {
    const awkward = `it's a \\ back'slash; DROP TABLE counted; --`;
    const [row] = await queryUnderLock<{ s: string; n: number; a: string[]; e: string[] }>(
      dataSource,
      424242,
      inlineParameters('SELECT $1::text AS s, $2::float8 AS n, $3::text[] AS a, $4::text[] AS e', [
        awkward,
        2.5,
        ['a', "b'c", 'd,e', '{f}'],
        [],
      ]),
    );
    expect(row).toEqual({ s: awkward, n: 2.5, a: ['a', "b'c", 'd,e', '{f}'], e: [] });
    expect(await dataSource.query('SELECT count(*)::int AS n FROM counted')).toEqual([{ n: 3 }]);
  });

  it('refuses a placeholder without a value and a number that is not finite', () => {
    expect(() => inlineParameters('SELECT $2', [1])).toThrow(/no value for \$2/);
    expect(() => inlineParameters('SELECT $1', [Number.NaN])).toThrow(/not a finite number/);
  });
});
