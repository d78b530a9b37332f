import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { migrations } from '../../src/database/migrations/index.js';
import { KeyedLookups1764403200000 } from '../../src/database/migrations/1764403200000-keyed-lookups.js';
import { createEmptyDatabase, migratedTo, type TestDatabase } from '../support/test-database.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Migration 1764403200000 on a real PostgreSQL: the stored token prefix (part of a
 * chosen token) goes, the bare hashes stay for the start-up re-key, and down restores
 * the old shape.
 */
describe('migration: keyed lookups', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const at = migrations.indexOf(KeyedLookups1764403200000);
  const chosen = 'my-chosen-admin-password-1';

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('clears token prefixes, keeps the hashes for the re-key, adds revoked_by, and reverts', async () => {
    const before = await migratedTo(database.url, at);
    await before.query(
      `INSERT INTO api_token (name, role, source, token_hash, token_prefix)
       VALUES ('REGRELAY_ADMIN_TOKEN', 'admin', 'env', $1, $2)`,
      [sha256(chosen), chosen.slice(0, 9)],
    );
    await before.destroy();

    dataSource = await migratedTo(database.url, at + 1);
    expect(
      await dataSource.query('SELECT token_hash, token_hint, revoked_by FROM api_token'),
    ).toEqual([{ token_hash: sha256(chosen), token_hint: null, revoked_by: null }]);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM lookup_key')).toEqual([{ n: 0 }]);
    await expect(dataSource.query(`UPDATE api_token SET revoked_by = 'someone'`)).rejects.toThrow(
      /violates check constraint/,
    );

    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.query('SELECT token_hash, token_prefix FROM api_token')).toEqual([
      { token_hash: sha256(chosen), token_prefix: '' },
    ]);
    const tables = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_name = 'lookup_key'`,
    );
    expect(tables).toEqual([]);
  });
});
