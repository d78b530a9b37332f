import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { createRootLogger } from '../observability/root-logger.js';
import { dataSourceOptions } from './data-source-options.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { runMigrations } from './migrate.js';

/**
 * `npm run migrate`: applies pending migrations and exits. regrelay also migrates at
 * every start; this is for deployments that migrate in a separate step (a Kubernetes
 * Job before a rollout) and for checking a database by hand.
 */
async function migrate(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createRootLogger(config);
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir });
  const dataSource = new DataSource(
    dataSourceOptions(config.databaseUrl ?? embedded!.url, { poolSize: 2 }),
  );
  try {
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    logger.info(
      { applied },
      applied.length ? `Applied ${applied.length} migration(s)` : 'Schema is up to date',
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    logger.flush();
  }
}

migrate().catch((error: unknown) => {
  process.stderr.write(
    `regrelay migrate: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(error instanceof ConfigError ? 78 : 1);
});
