import type { DataSourceOptions } from 'typeorm';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';

export interface DatabasePoolOptions {
  /** Largest number of connections this process opens. */
  poolSize?: number;
  applicationName?: string;
}

/** TypeORM options for regrelay's schema. Never `synchronize`: migrations only. */
export function dataSourceOptions(url: string, pool: DatabasePoolOptions = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'schema_migration',
    poolSize: pool.poolSize ?? 20,
    applicationName: pool.applicationName ?? 'regrelay',
    extra: {
      // Fail fast when the database is unreachable instead of hanging a request.
      connectionTimeoutMillis: 10_000,
      idle_in_transaction_session_timeout: 60_000,
    },
  };
}
