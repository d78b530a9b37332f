import type { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations/index.js';

export interface DatabasePoolOptions {
  /** Largest number of connections this process opens. */
  poolSize?: number;
  applicationName?: string;
}

/**
 * TypeORM options for regrelay's schema. Never `synchronize`: migrations only.
 * Entities are not listed here (storage knows no features): each feature module
 * registers its own with TypeOrmModule.forFeature, and the Nest data source loads
 * them (autoLoadEntities); migrations and raw queries need none.
 */
export function dataSourceOptions(url: string, pool: DatabasePoolOptions = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
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
