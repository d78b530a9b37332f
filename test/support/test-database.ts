import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { migrations } from '../../src/database/migrations/index.js';

export const TEMPLATE_DATABASE = 'regrelay_test_template';

/** A fresh database with the full schema, cloned from the migrated template. */
export interface TestDatabase {
  readonly url: string;
  /**
   * The REGRELAY_SECRET_KEY (base64) of the installation this database belongs to:
   * every app started on it shares it, as replicas must.
   */
  readonly secretKey: string;
  drop(): Promise<void>;
}

export function createTestDatabase(): Promise<TestDatabase> {
  return createDatabase(`TEMPLATE ${TEMPLATE_DATABASE}`);
}

/** A fresh database with no schema at all (for tests of migrations). */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return createDatabase('');
}

async function createDatabase(options: string): Promise<TestDatabase> {
  const adminUrl = process.env.REGRELAY_TEST_PG_ADMIN_URL;
  if (!adminUrl)
    throw new Error(
      'REGRELAY_TEST_PG_ADMIN_URL is unset: run the tests through Jest (globalSetup starts PostgreSQL)',
    );
  const name = `regrelay_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name} ${options}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    secretKey: randomBytes(32).toString('base64'),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on a server's maintenance database (CREATE/DROP DATABASE). */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A connected DataSource on `url` with the first `count` migrations applied, for
 * migration tests (the caller destroys it).
 */
export async function migratedTo(url: string, count: number): Promise<DataSource> {
  const dataSource = new DataSource({
    ...dataSourceOptions(url, { poolSize: 2 }),
    migrations: migrations.slice(0, count),
  });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
