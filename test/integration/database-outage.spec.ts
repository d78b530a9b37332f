import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { freePort } from '../../src/common/free-port.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { isDatabaseUnavailable, whileDatabaseDown } from '../../src/database/outage.js';
import { tickSteps } from '../../src/replication/triggers/cron-tick.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** Errors as a real PostgreSQL and a real pool produce them: which ones are an outage. */
describe('telling a database outage from a failed statement', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 3 }),
    ).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const failure = (work: () => Promise<unknown>) =>
    work().then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );

  it('counts a server nobody answers on as unavailable', async () => {
    const url = new URL(database.url);
    url.port = String(await freePort());
    const error = await failure(() =>
      new DataSource(dataSourceOptions(url.toString())).initialize(),
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('counts a connection the server terminated (a failover) as unavailable', async () => {
    const error = await failure(() =>
      dataSource.transaction(async (m) => {
        const [{ pid }] = await m.query('SELECT pg_backend_pid() AS pid');
        await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
        await m.query('SELECT 1');
      }),
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('counts it as unavailable too when the pool saw the connection end first', async () => {
    const error = await failure(() =>
      dataSource.transaction(async (m) => {
        const connection = (await m.queryRunner!.connect()) as {
          once(event: 'error', listener: () => void): void;
        };
        const ended = new Promise<void>((resolve) => connection.once('error', resolve));
        const [{ pid }] = await m.query('SELECT pg_backend_pid() AS pid');
        await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
        // TypeORM releases the transaction's runner on its connection's error.
        await ended;
        await m.query('SELECT 1');
      }),
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('does not count a statement the server refused', async () => {
    for (const sql of ['SELEC 1', 'SELECT 1 / 0', "SELECT 'x'::uuid", 'SELECT * FROM nowhere'])
      expect(isDatabaseUnavailable(await failure(() => dataSource.query(sql)))).toBe(false);
    expect(isDatabaseUnavailable(new Error('the registry said 503'))).toBe(false);
  });

  it('retries an operation while the database is away, and only then', async () => {
    const url = new URL(database.url);
    url.port = String(await freePort());
    const refused = await failure(() =>
      new DataSource(dataSourceOptions(url.toString())).initialize(),
    );
    const events: string[] = [];
    let calls = 0;
    const result = await whileDatabaseDown(
      async () => {
        if (++calls < 3) throw refused;
        return 'recorded';
      },
      { onOutage: (event) => events.push(event) },
    );
    expect({ result, calls, events }).toEqual({
      result: 'recorded',
      calls: 3,
      events: ['waiting', 'resumed'],
    });

    calls = 0;
    const statement = await failure(() => dataSource.query('SELECT 1 / 0'));
    await expect(
      whileDatabaseDown(async () => {
        calls++;
        throw statement;
      }),
    ).rejects.toBe(statement);
    expect(calls).toBe(1);

    calls = 0;
    const stopped = AbortSignal.abort();
    await expect(
      whileDatabaseDown(
        async () => {
          calls++;
          throw refused;
        },
        { signal: stopped },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1); // tried once, then gave up: shutting down
  });

  it("keeps a cron tick's steps trying while the database is away, until the next tick is due", async () => {
    const url = new URL(database.url);
    url.port = String(await freePort());
    const refused = await failure(() =>
      new DataSource(dataSourceOptions(url.toString())).initialize(),
    );
    const running = new AbortController().signal;
    let calls = 0;
    const recovered = await tickSteps(
      '*/30 * * * * *',
      new Date(),
      running,
      undefined,
    )(async () => {
      if (++calls < 3) throw refused;
      return 'ticked';
    });
    expect({ recovered, calls }).toEqual({ recovered: 'ticked', calls: 3 });

    // Every second: the next tick comes within a second, and this one gives up for it.
    calls = 0;
    await expect(
      tickSteps(
        '* * * * * *',
        new Date(),
        running,
        undefined,
      )(async () => {
        calls++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBeGreaterThan(1);
  });
});
