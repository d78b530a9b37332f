import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { migrations } from '../../src/database/migrations/index.js';
import { ExecutionOwnersAndPairLedger1764230400000 } from '../../src/database/migrations/1764230400000-execution-owners-and-pair-ledger.js';
import { LedgerService, LOOKUP_SQL } from '../../src/replication/ledger/ledger.service.js';
import type { ExecutionOwner } from '../../src/replication/owners/execution-owner.js';
import {
  createEmptyDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../support/test-database.js';

const DIGEST = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** The ledger keyed by destination, on a real PostgreSQL. */
describe('LedgerService', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let ledger: LedgerService;
  const destination = randomUUID();
  const origin = randomUUID();
  const policyA: ExecutionOwner = { kind: 'policy', id: randomUUID() };
  const policyB: ExecutionOwner = { kind: 'policy', id: randomUUID() };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 2 }),
    ).initialize();
    ledger = new LedgerService(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const write = (owner: ExecutionOwner, tag: string, digest: string, repository = 'app') =>
    ledger.recordWrite({
      destinationRegistryId: destination,
      repository,
      tag,
      digest,
      originRegistryId: origin,
      originRepository: 'team/app',
      owner,
      executionId: null,
    });

  it('answers "did regrelay write this tag here?" by destination; the latest write wins', async () => {
    await write(policyA, 'v1', DIGEST(1));
    expect(await ledger.lookup(destination, 'app', 'v1')).toMatchObject({
      digest: DIGEST(1),
      originRegistryId: origin,
      originRepository: 'team/app',
      owner: policyA,
    });
    await write(policyB, 'v1', DIGEST(2));
    expect(await ledger.lookup(destination, 'app', 'v1')).toMatchObject({
      digest: DIGEST(2),
      owner: policyB,
    });
    expect(await ledger.wrote(policyB, destination, 'app', 'v1', DIGEST(2))).toBe(true);
    expect(await ledger.wrote(policyA, destination, 'app', 'v1', DIGEST(2))).toBe(false);
    expect(await ledger.wrote(policyB, destination, 'app', 'v1', DIGEST(1))).toBe(false);
    expect(await ledger.lookup(destination, 'app', 'v9')).toBeUndefined();
  });

  it('forgets a tag only for the owner that wrote it, and everything of a deleted owner', async () => {
    await write(policyB, 'v2', DIGEST(3));
    await ledger.forget(policyA, destination, 'app', 'v2');
    expect(await ledger.lookup(destination, 'app', 'v2')).toBeDefined();
    await ledger.forget(policyB, destination, 'app', 'v2');
    expect(await ledger.lookup(destination, 'app', 'v2')).toBeUndefined();
    const gone: ExecutionOwner = { kind: 'policy', id: randomUUID() };
    await write(gone, 'v3', DIGEST(4));
    await ledger.forgetOwner(gone);
    expect(await ledger.lookup(destination, 'app', 'v3')).toBeUndefined();
    expect(await ledger.lookup(destination, 'app', 'v1')).toBeDefined();
  });

  it('looks a destination tag up through the primary key index', async () => {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const p = values.length;
      values.push(randomUUID(), `repo-${i % 50}`, `t${i}`, DIGEST(i), origin, policyA.id);
      rows.push(
        `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, 'r', 'policy', $${p + 6})`,
      );
      if (rows.length === 1000) {
        await dataSource.query(
          `INSERT INTO ledger (destination_registry_id, repository, tag, digest, origin_registry_id,
                               origin_repository, owner_kind, owner_id) VALUES ${rows.join(', ')}`,
          values,
        );
        rows.length = 0;
        values.length = 0;
      }
    }
    await dataSource.query('ANALYZE ledger');
    const [explained] = (await dataSource.query(`EXPLAIN (FORMAT JSON) ${LOOKUP_SQL}`, [
      destination,
      'app',
      'v1',
    ])) as { 'QUERY PLAN': [{ Plan: { 'Node Type': string; 'Index Name'?: string } }] }[];
    expect(explained!['QUERY PLAN'][0].Plan).toMatchObject({
      'Node Type': 'Index Scan',
      'Index Name': 'ledger_pkey',
    });
  });
});

/** The migration that re-keyed the ledger carries the rows of the per-policy ledger over. */
describe('migration to owners and the ledger by destination', () => {
  let database: TestDatabase;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('keeps executions, tasks and the latest write of every destination tag', async () => {
    const at = migrations.indexOf(ExecutionOwnersAndPairLedger1764230400000);
    const before = new DataSource({
      ...dataSourceOptions(database.url, { poolSize: 2 }),
      migrations: migrations.slice(0, at),
    });
    await before.initialize();
    await before.runMigrations({ transaction: 'each' });
    const [{ id: source }] = await before.query(
      `INSERT INTO registry (name, url) VALUES ('src', 'http://127.0.0.1:1') RETURNING id`,
    );
    const [{ id: dest }] = await before.query(
      `INSERT INTO registry (name, url) VALUES ('dst', 'http://127.0.0.1:2') RETURNING id`,
    );
    const policy = async (name: string) =>
      (
        await before.query(
          `INSERT INTO policy (name, source_registry_id, repositories, tags, trigger_type, override, max_concurrency)
           VALUES ($1, $2, '{**}', '{*}', 'manual', true, 3) RETURNING id`,
          [name, source],
        )
      )[0].id as string;
    const [older, newer] = [await policy('older'), await policy('newer')];
    const [{ id: execution }] = await before.query(
      `INSERT INTO execution (policy_id, trigger, status) VALUES ($1, 'manual', 'running') RETURNING id`,
      [newer],
    );
    await before.query(
      `INSERT INTO task (execution_id, policy_id, operation, destination_registry_id, source_repository,
                         destination_repository, tag, digest, status)
       VALUES ($1, $2, 'copy', $3, 'app', 'app', 'v1', $4, 'pending')`,
      [execution, newer, dest, DIGEST(1)],
    );
    const ledgerRow = `INSERT INTO ledger (policy_id, destination_registry_id, repository, tag, digest,
                         source_repository, source_digest, written_at) VALUES ($1, $2, 'app', $3, $4, 'app', $4, $5)`;
    await before.query(ledgerRow, [older, dest, 'shared', DIGEST(2), '2026-01-01T00:00:00Z']);
    await before.query(ledgerRow, [newer, dest, 'shared', DIGEST(3), '2026-02-01T00:00:00Z']);
    await before.query(ledgerRow, [older, dest, 'own', DIGEST(4), '2026-01-01T00:00:00Z']);
    await before.destroy();

    dataSource = await new DataSource({
      ...dataSourceOptions(database.url, { poolSize: 2 }),
      migrations: migrations.slice(0, at + 1),
    }).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    expect(
      await dataSource.query(
        'SELECT owner_kind, owner_id, override, max_concurrency FROM execution WHERE id = $1',
        [execution],
      ),
    ).toEqual([{ owner_kind: 'policy', owner_id: newer, override: true, max_concurrency: 3 }]);
    expect(await dataSource.query('SELECT source_registry_id FROM task')).toEqual([
      { source_registry_id: source },
    ]);
    expect(
      await dataSource.query(
        `SELECT tag, digest, origin_registry_id, origin_repository, owner_id FROM ledger ORDER BY tag`,
      ),
    ).toEqual([
      {
        tag: 'own',
        digest: DIGEST(4),
        origin_registry_id: source,
        origin_repository: 'app',
        owner_id: older,
      },
      {
        tag: 'shared',
        digest: DIGEST(3),
        origin_registry_id: source,
        origin_repository: 'app',
        owner_id: newer,
      },
    ]);

    // And back: the per-policy ledger returns with the same rows.
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.query('SELECT tag, policy_id FROM ledger ORDER BY tag')).toEqual([
      { tag: 'own', policy_id: older },
      { tag: 'shared', policy_id: newer },
    ]);
    expect(await dataSource.query('SELECT policy_id FROM execution')).toEqual([
      { policy_id: newer },
    ]);
  });
});
