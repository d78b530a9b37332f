// Jest loads globalSetup with Node's own ESM loader, outside its module mapper, so
// this file is plain JavaScript over the compiled sources in dist/ (`npm test`
// builds first).
import 'reflect-metadata';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../dist/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../dist/database/embedded-postgres.js';
import { runMigrations } from '../../dist/database/migrate.js';

/** Must match TEMPLATE_DATABASE in test-database.ts. */
const TEMPLATE_DATABASE = 'regrelay_test_template';

/**
 * One real PostgreSQL for the whole run. Migrations are applied once, to a template
 * database; each test file clones it (CREATE DATABASE … TEMPLATE), which takes
 * milliseconds and isolates files from each other.
 *
 * REGRELAY_TEST_DATABASE_URL points the run at an existing server instead (its user
 * must be allowed to create databases).
 */
export default async function globalSetup() {
  let adminUrl = process.env.REGRELAY_TEST_DATABASE_URL;
  if (!adminUrl) {
    const root = await mkdtemp(join(tmpdir(), 'regrelay-test-pg-'));
    // mkdtemp makes it 0700; as root, PostgreSQL runs as "postgres" and must enter it.
    await chmod(root, 0o755);
    const server = await startEmbeddedPostgres({
      dataDir: join(root, 'data'),
      database: 'postgres',
    });
    globalThis.__regrelayTestPostgres = { server, root };
    adminUrl = server.adminUrl;
  }
  process.env.REGRELAY_TEST_PG_ADMIN_URL = adminUrl;

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  const dataSource = await new DataSource(
    dataSourceOptions(templateUrl.toString(), { poolSize: 2 }),
  ).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
