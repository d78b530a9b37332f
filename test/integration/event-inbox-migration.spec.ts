import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { migrations } from '../../src/database/migrations/index.js';
import { InboxRejectionsAndRegistryTimezone1764489600000 } from '../../src/database/migrations/1764489600000-inbox-rejections-and-registry-timezone.js';
import { createEmptyDatabase, migratedTo, type TestDatabase } from '../support/test-database.js';

const DIGEST = `sha256:${'e'.repeat(64)}`;

/** Migration 1764489600000 on a real PostgreSQL: stored events survive it both ways. */
describe('migration: inbox rejections and registry time zone', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const at = migrations.indexOf(InboxRejectionsAndRegistryTimezone1764489600000);

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('keeps stored events as accepted, then holds rejected rows to their shape, and reverts', async () => {
    const before = await migratedTo(database.url, at);
    const [{ id: registry }] = await before.query(
      `INSERT INTO registry (name, url) VALUES ('src', 'http://127.0.0.1:1') RETURNING id`,
    );
    await before.query(
      `INSERT INTO event_inbox (registry_id, event_id, format, action, repository, tag, digest, occurred_at)
       VALUES ($1, 'old-1', 'distribution', 'push', 'app', 'v1', $2, now())`,
      [registry, DIGEST],
    );
    await before.destroy();

    dataSource = await migratedTo(database.url, at + 1);
    expect(await dataSource.query('SELECT event_id, status, reason FROM event_inbox')).toEqual([
      { event_id: 'old-1', status: 'accepted', reason: null },
    ]);
    expect(await dataSource.query('SELECT timezone FROM registry')).toEqual([{ timezone: null }]);

    const insert = (values: string) =>
      dataSource.query(
        `INSERT INTO event_inbox (registry_id, event_id, format, status, action, repository, tag,
                                  digest, occurred_at, reason, processed_at, execution_ids)
         VALUES ($1, ${values})`,
        [registry],
      );
    // What the intake writes: a rejected event, stored processed; an ACR push; a repository delete.
    await insert(
      `'r-1', 'acr', 'rejected', 'unknown', NULL, NULL, NULL, NULL, 'type: unknown', now(), '{}'`,
    );
    await insert(
      `'a-1', 'acr', 'accepted', 'push', 'team/app', '1.0', NULL, now(), NULL, NULL, NULL`,
    );
    await insert(
      `'d-1', 'distribution', 'accepted', 'delete', 'app', NULL, NULL, now(), NULL, NULL, NULL`,
    );
    // What it never may: a rejected row without reason or left for the coalescer, an
    // accepted one without repository or time, a push without tag, unknown formats.
    for (const bad of [
      `'x-1', 'acr', 'rejected', 'push', 'a', 'v', NULL, now(), NULL, now(), '{}'`,
      `'x-2', 'acr', 'rejected', 'push', 'a', 'v', NULL, now(), 'why', NULL, NULL`,
      `'x-3', 'acr', 'accepted', 'push', NULL, 'v', NULL, now(), NULL, NULL, NULL`,
      `'x-4', 'acr', 'accepted', 'push', 'a', 'v', NULL, NULL, NULL, NULL, NULL`,
      `'x-5', 'acr', 'accepted', 'push', 'a', NULL, NULL, now(), NULL, NULL, NULL`,
      `'x-6', 'quay', 'accepted', 'push', 'a', 'v', NULL, now(), NULL, NULL, NULL`,
      `'x-7', 'acr', 'accepted', 'pull', 'a', 'v', NULL, now(), NULL, NULL, NULL`,
    ]) {
      await expect(insert(bad)).rejects.toThrow(/violates check constraint/);
    }

    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.query('SELECT event_id FROM event_inbox ORDER BY event_id')).toEqual([
      { event_id: 'old-1' },
    ]);
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns
        WHERE table_name IN ('event_inbox', 'registry') AND column_name IN ('status', 'reason', 'timezone')`,
    );
    expect(columns).toEqual([]);
  });
});
