import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ExecutionTagsInPlace1764921600000 } from '../../src/database/migrations/1764921600000-execution-tags-in-place.js';
import { migrations } from '../../src/database/migrations/index.js';
import { createEmptyDatabase, migratedTo, type TestDatabase } from '../support/test-database.js';

/**
 * Migration 1764921600000 on a real PostgreSQL: executions from before count no tag
 * in place (their skipped tasks are rows), the count cannot go negative, and down
 * removes it.
 */
describe('migration: tags in place counted on the execution', () => {
  let database: TestDatabase;
  let dataSource: DataSource | undefined;
  const at = migrations.indexOf(ExecutionTagsInPlace1764921600000);

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('starts existing executions at zero, refuses a negative count, and reverts', async () => {
    const before = await migratedTo(database.url, at);
    const owner = randomUUID();
    await before.query(
      `INSERT INTO execution (owner_kind, owner_id, trigger, status) VALUES ('copy', $1, 'manual', 'succeeded')`,
      [owner],
    );
    await before.destroy();

    dataSource = await migratedTo(database.url, at + 1);
    expect(await dataSource.query('SELECT in_place FROM execution')).toEqual([{ in_place: 0 }]);
    await expect(dataSource.query('UPDATE execution SET in_place = -1')).rejects.toThrow(/check/);
    await dataSource.undoLastMigration({ transaction: 'each' });
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'execution' AND column_name = 'in_place'`,
    );
    expect(columns).toEqual([]);
  });
});
