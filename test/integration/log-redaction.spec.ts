import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pinoHttp } from 'pino-http';
import { DataSource, QueryFailedError } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { loggableMessage } from '../../src/observability/error-serializer.js';
import { httpLoggingParams } from '../../src/observability/http-logging.js';
import { createRootLogger } from '../../src/observability/root-logger.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** A logger writing JSON lines into an array. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createRootLogger(
    { logLevel: 'info', logFormat: 'json' },
    { write: (line: string) => void lines.push(line) },
  );
  return { logger, lines, text: () => lines.join('') };
}

/**
 * Real failed queries against PostgreSQL, logged the ways regrelay logs errors: no
 * line may carry the SQL statement or its parameter values.
 */
describe('log lines never carry SQL parameters', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const secretHash = 'hmac:' + 'f00dfeed'.repeat(8);
  let duplicate: QueryFailedError;
  let badUuid: QueryFailedError;

  const failing = async (sql: string, params: unknown[]) => {
    try {
      await dataSource.query(sql, params);
    } catch (error) {
      return error as QueryFailedError;
    }
    throw new Error(`expected ${sql} to fail`);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 2 }),
    ).initialize();
    const insert = `INSERT INTO api_token (name, role, source, token_hash, token_hint) VALUES ('x', 'admin', 'env', $1, NULL)`;
    await dataSource.query(insert, [secretHash]);
    duplicate = await failing(insert, [secretHash]);
    badUuid = await failing('SELECT * FROM api_token WHERE id = $1', ['not-a-uuid-but-a-secret']);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('is a real QueryFailedError that carries the values (what the serializer is up against)', () => {
    expect(duplicate).toBeInstanceOf(QueryFailedError);
    expect(duplicate.parameters).toEqual([secretHash]);
    expect(JSON.stringify((duplicate as unknown as { detail: string }).detail)).toContain(
      secretHash,
    );
    expect(badUuid.message).toContain('not-a-uuid-but-a-secret');
  });

  it('drops query, parameters and the driver detail, and keeps what names the problem', () => {
    const { logger, lines, text } = capturedLogger();
    logger.fatal({ err: duplicate }, `failed to start: ${loggableMessage(duplicate)}`);
    logger.error({ err: badUuid }, `failed: ${loggableMessage(badUuid)}`);
    logger.warn({ error: new Error('wrapped', { cause: badUuid }) }, 'wrapped');
    logger.error(duplicate); // an Error as the only argument
    expect(lines).toHaveLength(4);
    for (const secret of [secretHash, 'not-a-uuid-but-a-secret', 'INSERT INTO', 'token_hash)='])
      expect(text()).not.toContain(secret);
    const first = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    expect(first.err).toMatchObject({
      type: 'QueryFailedError',
      code: '23505',
      constraint: 'api_token_token_hash_key',
      table: 'api_token',
    });
    expect(first.err.message).toMatch(/duplicate key value violates unique constraint/);
    expect(JSON.parse(lines[1]!).msg).toContain('[redacted]');
  });

  it('does the same for errors on request log lines (pino-http)', async () => {
    const { logger, text } = capturedLogger();
    const httpLogger = pinoHttp(httpLoggingParams(logger).pinoHttp as object);
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      httpLogger(req, res);
      (res as ServerResponse & { err?: Error }).err = duplicate;
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/tokens`)).status).toBe(500);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(text()).toContain('"code":"23505"');
    expect(text()).not.toContain(secretHash);
    expect(text()).not.toContain('INSERT INTO');
  });
});
