import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { Conflicts } from '../../src/topologies/conflicts.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const DIGEST = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** The conflicts a dual-master pair records, on a real PostgreSQL. */
describe('Conflicts', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let conflicts: Conflicts;
  let topologyId: string;
  const a = randomUUID();
  const b = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 2 }),
    ).initialize();
    conflicts = new Conflicts(dataSource);
    const [row] = (await dataSource.query(
      `INSERT INTO topology (name, kind, repositories, tags, conflict)
       VALUES ('dc', 'dual-master', '{**}', '{*}', 'prefer-first') RETURNING id`,
    )) as { id: string }[];
    topologyId = row!.id;
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const settled = (tag: string, digestA: string, digestB: string) =>
    conflicts.record({
      topologyId,
      repository: 'app',
      tag,
      digests: { [a]: digestA, [b]: digestB },
      resolution: 'prefer-first',
      resolvedDigest: digestA,
    });

  it('records a conflict settled by the rule once, when a pass cut short finds it again', async () => {
    const first = await settled('v2', DIGEST(1), DIGEST(2));
    expect(first.created).toBe(true);
    // The process died before the resolving copy landed: the next pass meets the same sides.
    const again = await settled('v2', DIGEST(1), DIGEST(2));
    expect(again).toEqual({ conflict: first.conflict, created: false });
    const { items, total } = await conflicts.list(topologyId, { limit: 10, offset: 0 });
    expect(total).toBe(1);
    expect(items.map((c) => c.tag)).toEqual(['v2']);
  });

  it('records a new conflict of the same tag when the sides differ otherwise', async () => {
    expect((await settled('v2', DIGEST(3), DIGEST(2))).created).toBe(true);
    expect((await settled('v2', DIGEST(3), DIGEST(4))).created).toBe(true);
    expect((await conflicts.list(topologyId, { limit: 10, offset: 0 })).total).toBe(3);
  });

  it('keeps one open conflict per tag while it is held', async () => {
    const hold = () =>
      conflicts.record({
        topologyId,
        repository: 'app',
        tag: 'v9',
        digests: { [a]: DIGEST(5), [b]: DIGEST(6) },
        resolution: 'held',
        resolvedDigest: null,
      });
    const first = await hold();
    expect(first.created).toBe(true);
    expect(await hold()).toEqual({ conflict: first.conflict, created: false });
  });
});
