import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AttachedArtifacts1764748800000 } from '../../src/database/migrations/1764748800000-attached-artifacts.js';
import { migrations } from '../../src/database/migrations/index.js';
import { createEmptyDatabase, migratedTo, type TestDatabase } from '../support/test-database.js';

const DIGEST = `sha256:${'e'.repeat(64)}`;

/**
 * Migrations 1764748800000 (attached artifacts) and 1764748800001 (tag selection and
 * variants) on a real PostgreSQL: existing policies copy every referrer and keep their
 * tag selection, a manifest pushed by digest is an accepted event shape, and both go
 * back down leaving the older schema's rows valid.
 */
describe('migrations: attached artifacts, tag selection and variants', () => {
  let database: TestDatabase;
  let dataSource: DataSource | undefined;
  const at = migrations.indexOf(AttachedArtifacts1764748800000);

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('gives existing policies referrers "all" and no selection, accepts digest-only pushes, and reverts', async () => {
    const before = await migratedTo(database.url, at);
    const [{ id: registry }] = await before.query(
      `INSERT INTO registry (name, url) VALUES ('src', 'http://127.0.0.1:1') RETURNING id`,
    );
    await before.query(
      `INSERT INTO policy (name, source_registry_id, repositories, tags, trigger_type)
       VALUES ('old', $1, '{**}', '{*}', 'manual')`,
      [registry],
    );
    await before.destroy();

    dataSource = await migratedTo(database.url, at + 2);
    expect(
      await dataSource.query('SELECT referrers, variants, tag_latest, tag_semver FROM policy'),
    ).toEqual([{ referrers: 'all', variants: 'all', tag_latest: null, tag_semver: null }]);
    const push = (tag: string | null, digest: string | null) =>
      dataSource!.query(
        `INSERT INTO event_inbox (registry_id, event_id, format, status, action, repository, tag, digest, occurred_at)
         VALUES ($1, $2, 'distribution', 'accepted', 'push', 'app', $3, $4, now())`,
        [registry, `e-${tag}-${digest}`, tag, digest],
      );
    await push(null, DIGEST); // a referrer pushed by digest
    await expect(push(null, null)).rejects.toThrow(/event_inbox_accepted_shape/);
    await expect(dataSource.query(`UPDATE policy SET variants = 'estargz'`)).rejects.toThrow(
      /check/,
    );
    await dataSource.destroy();

    // Down twice: back to the schema before them, without the rows it cannot hold.
    const migrated = await migratedTo(database.url, at + 2);
    await migrated.undoLastMigration();
    await migrated.undoLastMigration();
    expect(await migrated.query('SELECT count(*)::int AS n FROM event_inbox')).toEqual([{ n: 0 }]);
    const columns = await migrated.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'policy'
         AND column_name IN ('referrers', 'variants', 'tag_latest', 'tag_semver')`,
    );
    expect(columns).toEqual([]);
    dataSource = migrated;
  });
});
