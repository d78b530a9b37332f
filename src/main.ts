import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { prepareRuntime, type PreparedRuntime } from './bootstrap/runtime.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { loggableMessage } from './observability/error-serializer.js';
import { ShutdownState } from './observability/shutdown-state.js';
import { createRootLogger } from './observability/root-logger.js';
import { exposedScavenge } from './replication/copy/scavenge-pacer.js';

/** sysexits' EX_CONFIG: the environment is wrong, restarting will not help. */
const EXIT_CONFIG = 78;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`regrelay: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const logger = createRootLogger(config);
  let runtime: PreparedRuntime | undefined;
  let app: INestApplication | undefined;

  // Our own handlers, not Nest's enableShutdownHooks(): Nest re-raises the signal
  // before asynchronous cleanup (closing the pool, stopping PostgreSQL) has finished.
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'Second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'Shutting down');
    const force = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'Shutdown took too long: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    try {
      app?.get(ShutdownState).begin();
      await app?.close(); // stops HTTP, runs module destroy hooks, closes the pool
      await runtime?.release();
      logger.info('Stopped');
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'Shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    runtime = await prepareRuntime(config, logger);
    app = await createApp(runtime);
    await app.listen(config.port, config.host);
    logger.info(
      { port: config.port, host: config.host },
      `regrelay listening on http://${config.host}:${config.port}`,
    );
    if (!exposedScavenge()) {
      logger.warn(
        'Started without --expose-gc: blob copies cannot ask for young-generation ' +
          'collections and will spend more CPU on garbage (run it as `npm start` and the image do)',
      );
    }
  } catch (error) {
    logger.fatal({ err: error }, `regrelay failed to start: ${loggableMessage(error)}`);
    await app?.close().catch(() => undefined);
    await runtime?.release().catch(() => undefined);
    logger.flush();
    process.exit(1);
  }
}

void main();
