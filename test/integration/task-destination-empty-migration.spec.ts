import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { TaskDestinationEmpty1765008000000 } from '../../src/database/migrations/1765008000000-task-destination-empty.js';
import { migrations } from '../../src/database/migrations/index.js';
import { createEmptyDatabase, migratedTo, type TestDatabase } from '../support/test-database.js';

/**
 * Migration 1765008000000 on a real PostgreSQL: tasks from before keep asking about
 * every blob (the hint is false), and down removes the column.
 */
describe('migration: a copy task knows its destination repository was empty', () => {
  let database: TestDatabase;
  let dataSource: DataSource | undefined;
  const at = migrations.indexOf(TaskDestinationEmpty1765008000000);

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('starts existing tasks without the hint, and reverts', async () => {
    const before = await migratedTo(database.url, at);
    const [execution] = (await before.query(
      `INSERT INTO execution (owner_kind, owner_id, trigger, status) VALUES ('copy', $1, 'manual', 'running')
       RETURNING id`,
      [randomUUID()],
    )) as { id: string }[];
    await before.query(
      `INSERT INTO task (execution_id, operation, source_registry_id, source_repository,
                         destination_registry_id, destination_repository, tag, digest, status)
       VALUES ($1, 'copy', $2, 'app', $3, 'app', 'v1', 'sha256:${'a'.repeat(64)}', 'pending')`,
      [execution!.id, randomUUID(), randomUUID()],
    );
    await before.destroy();

    dataSource = await migratedTo(database.url, at + 1);
    expect(await dataSource.query('SELECT destination_empty FROM task')).toEqual([
      { destination_empty: false },
    ]);
    await dataSource.undoLastMigration({ transaction: 'each' });
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'task' AND column_name = 'destination_empty'`,
    );
    expect(columns).toEqual([]);
  });
});
