import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresServer,
} from '../database/embedded-postgres.js';
import { loadOrCreateKeyFile } from '../secrets/key-file.js';
import type { RuntimeContext } from '../app.module.js';

/** The runtime context plus what must be released after Nest has closed. */
export interface PreparedRuntime extends RuntimeContext {
  release(): Promise<void>;
}

/**
 * Resolves what Nest needs before it starts: the database (external DATABASE_URL, or
 * an embedded PostgreSQL in the data directory) and the secret key (env, or the
 * data directory's key file).
 */
export async function prepareRuntime(config: AppConfig, logger: Logger): Promise<PreparedRuntime> {
  let embedded: EmbeddedPostgresServer | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const pgLog = logger.child({ component: 'embedded-postgres' });
    const started = Date.now();
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      onLog: (line) => pgLog.debug(line),
    });
    logger.info(
      { dataDir: config.dataDir, clusterDir: embedded.clusterDir, ms: Date.now() - started },
      'Embedded PostgreSQL started',
    );
    databaseUrl = embedded.url;
  }
  try {
    const secretKey = config.secretKey ?? (await loadOrCreateKeyFile(config.dataDir));
    return {
      config,
      databaseUrl,
      secretKey,
      logger,
      async release() {
        if (embedded) {
          await embedded.stop();
          logger.info('Embedded PostgreSQL stopped');
        }
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
