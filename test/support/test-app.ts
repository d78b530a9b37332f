import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createRootLogger } from '../../src/observability/root-logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** The whole application on a free loopback port, over a fresh database. */
export interface TestApp {
  readonly app: INestApplication;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly adminToken: string;
  readonly config: AppConfig;
  readonly database: TestDatabase;
  /** fetch() against the app with the admin token (or `token`) as bearer. */
  api(
    path: string,
    init?: RequestInit & { token?: string | null; json?: unknown },
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the app as main.ts would, minus the process plumbing. `env` adds to or
 * overrides the environment the config is read from. Pass `database` to run several
 * replicas against one database (the caller drops it). Logs are silent unless
 * REGRELAY_TEST_LOG_LEVEL is set.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { database?: TestDatabase } = {},
): Promise<TestApp> {
  const ownDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const adminToken = env.REGRELAY_ADMIN_TOKEN ?? `test-admin-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    REGRELAY_ADMIN_TOKEN: adminToken,
    REGRELAY_SECRET_KEY: database.secretKey,
    LOG_LEVEL: process.env.REGRELAY_TEST_LOG_LEVEL ?? 'silent',
    LOG_FORMAT: 'json',
    DATABASE_URL: database.url,
    ...env,
  });
  const app = await createApp({
    config,
    databaseUrl: database.url,
    secretKey: config.secretKey!,
    logger: createRootLogger(config),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    adminToken,
    config,
    database,
    api(path, init = {}) {
      const { token = adminToken, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(url + path, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    async close() {
      await app.close();
      if (ownDatabase) await database.drop();
    },
  };
}
