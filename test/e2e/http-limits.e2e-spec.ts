import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStreamLimits } from '../../src/auth/event-stream-limits.js';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { openEventStream, type EventStream } from '../support/sse.js';
import { addPolicy, json, trigger } from '../support/replication-api.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

/** A raw HTTP/1.1 connection to the app, for requests fetch() cannot make. */
function rawConnection(t: TestApp) {
  const { port } = new URL(t.url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined); // a reset after the server closes is expected
  return { socket, received: () => received, closed };
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

/**
 * Limits that keep one client from exhausting the service: event streams per token
 * and in all, streams of revoked tokens, failed authentication per address, slow
 * request headers, and webhook bodies past the size limit.
 */
describe('HTTP limits', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let pendingA: string;
  let pendingB: string;
  const streams: EventStream[] = [];

  const viewer = async (name: string) => {
    const res = await a.api('/api/v1/tokens', { method: 'POST', json: { name, role: 'viewer' } });
    return json<{ id: string; token: string }>(res, 201);
  };
  const stream = async (executionId: string, token?: string, on = a) => {
    const s = await openEventStream(on, executionId, token);
    streams.push(s);
    return s;
  };
  const openStreams = (t: TestApp) => t.app.get(EventStreamLimits).open;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      REGRELAY_ADMIN_TOKEN: `limits-admin-${randomBytes(12).toString('hex')}`,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      // No workers: triggered executions stay pending, so their streams stay open.
      REGRELAY_WORKERS: '0',
      REGRELAY_SSE_MAX_STREAMS: '3',
      REGRELAY_SSE_MAX_STREAMS_PER_TOKEN: '2',
      REGRELAY_AUTH_FAILURES_PER_MINUTE: '3',
      REGRELAY_HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      REGRELAY_HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      REGRELAY_HTTP_KEEPALIVE_TIMEOUT_SECONDS: '1',
    };
    a = await startTestApp(env, { database });
    b = await startTestApp(env, { database });
    const registry = async (name: string, port: number) =>
      json<{ id: string }>(
        await a.api('/api/v1/registries', {
          method: 'POST',
          json: { name, url: `http://127.0.0.1:${port}` },
        }),
        201,
      );
    const source = await registry('never-read-source', 1);
    const destination = await registry('never-written-destination', 2);
    const policy = (name: string) =>
      addPolicy(a, {
        name,
        sourceRegistryId: source.id,
        destinations: [{ registryId: destination.id }],
      });
    pendingA = await trigger(a, await policy('held-a'));
    pendingB = await trigger(a, await policy('held-b'));
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  describe('event streams', () => {
    it('refuses a stream past the per-token and the total limit with 429, and counts closed ones out', async () => {
      const first = await viewer('dashboard-1');
      const second = await viewer('dashboard-2');
      const one = await stream(pendingA, first.token);
      await stream(pendingA, first.token);
      const third = await stream(pendingA, first.token);
      expect(third.status).toBe(429);
      expect(JSON.stringify(third.refusal)).toContain('REGRELAY_SSE_MAX_STREAMS_PER_TOKEN');
      await stream(pendingA, second.token);
      const overall = await stream(pendingA, second.token);
      expect(overall.status).toBe(429);
      expect(JSON.stringify(overall.refusal)).toContain('(REGRELAY_SSE_MAX_STREAMS)');

      one.close();
      await waitFor('the closed stream to be counted out', async () =>
        openStreams(a) === 2 ? true : undefined,
      );
      const again = await stream(pendingA, first.token);
      expect(again.status).toBe(200);
      await again.next('snapshot');
      for (const s of streams) s.close();
      await waitFor('every stream to be counted out', async () =>
        openStreams(a) === 0 ? true : undefined,
      );
    });

    it('answers 404 (not a stream) for an unknown execution, and counts nothing', async () => {
      const missing = await stream('00000000-0000-4000-8000-000000000000');
      expect(missing.status).toBe(404);
      await waitFor('nothing to be counted', async () => (openStreams(a) === 0 ? true : undefined));
    });

    it('ends the streams of a revoked token, revoked through this replica or another', async () => {
      const here = await viewer('revoked-here');
      const local = await stream(pendingA, here.token);
      await local.next('snapshot');
      expect((await a.api(`/api/v1/tokens/${here.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await within(local.ended, 10_000)).toBe(true);
      expect(local.events.at(-1)).toMatchObject({
        type: 'stream.closed',
        data: { reason: expect.stringContaining('revoked') },
      });

      const there = await viewer('revoked-elsewhere');
      const remote = await stream(pendingA, there.token);
      await remote.next('snapshot');
      expect((await b.api(`/api/v1/tokens/${there.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await within(remote.ended, 10_000)).toBe(true);
      expect(remote.events.at(-1)?.type).toBe('stream.closed');
    });

    it('keeps a stream open past the request and header timeouts, until the execution ends', async () => {
      const open = await stream(pendingB);
      await open.next('snapshot');
      // Longer than headers (1 s) + request (2 s) timeouts and a checking interval.
      await sleep(4_000);
      expect(open.isEnded()).toBe(false);
      expect((await a.api(`/api/v1/executions/${pendingB}/stop`, { method: 'POST' })).status).toBe(
        202,
      );
      expect((await open.next('execution.finished')).data).toMatchObject({ status: 'stopped' });
      expect(await within(open.ended, 10_000)).toBe(true);
    });
  });

  it('closes a connection whose request headers do not arrive within the headers timeout', async () => {
    const c = rawConnection(a);
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    // Node's own default would wait 60 s; the configured timeout is 1 s.
    expect(await within(c.closed, 10_000)).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers 429 to an address that sent too many unknown tokens, and only to it', async () => {
    const from = (address: string, token = a.adminToken) =>
      a.api('/api/v1/registries', { token, headers: { 'x-forwarded-for': address } });
    for (let i = 0; i < 3; i++)
      expect((await from('198.51.100.7', `rr_guess-${i}-${'x'.repeat(30)}`)).status).toBe(401);
    const refused = await from('198.51.100.7', 'rr_guess-again');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // While refused, not even a valid token is checked from there (no oracle)...
    expect((await from('198.51.100.7')).status).toBe(429);
    // ...and other addresses are not affected.
    expect((await from('198.51.100.8')).status).toBe(200);
    expect((await a.api('/api/v1/registries')).status).toBe(200);
  });

  it('answers 429 to an address that sent too many unknown webhook secrets, and only to it', async () => {
    const secret = `limits-webhook-${randomBytes(12).toString('hex')}`;
    await json(
      await a.api('/api/v1/registries', {
        method: 'POST',
        json: { name: 'webhook-sender', url: 'http://127.0.0.1:9', webhookSecret: secret },
      }),
      201,
    );
    const deliver = (address: string, sent: string) =>
      fetch(a.url + DISTRIBUTION_WEBHOOK_PATH, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sent}`,
          'content-type': 'application/vnd.docker.distribution.events.v1+json',
          'x-forwarded-for': address,
        },
        body: JSON.stringify({ events: [] }),
      });
    expect((await deliver('198.51.100.20', secret)).status).toBe(202);
    // Guesses shaped like secrets (16+ printable characters): others are not looked up.
    for (let i = 0; i < 3; i++)
      expect((await deliver('198.51.100.21', `guess-${i}-${'x'.repeat(20)}`)).status).toBe(401);
    const refused = await deliver('198.51.100.21', 'guess-again-and-again');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // While refused, not even the right secret is looked up from there (no oracle)...
    expect((await deliver('198.51.100.21', secret)).status).toBe(429);
    // ...other addresses are not affected, nor are API tokens from that address.
    expect((await deliver('198.51.100.22', secret)).status).toBe(202);
    const api = await a.api('/api/v1/registries', {
      headers: { 'x-forwarded-for': '198.51.100.21' },
    });
    expect(api.status).toBe(200);
    const metrics = await (await a.api('/metrics')).text();
    expect(metrics).toMatch(/regrelay_webhook_auth_failures_total\{reason="invalid"\} 3\b/);
    expect(metrics).toMatch(/regrelay_webhook_auth_failures_total\{reason="rate_limited"\} 2\b/);
  });

  describe('webhook bodies', () => {
    it('refuses a declared Content-Length over the limit without reading the body', async () => {
      const c = rawConnection(a);
      c.socket.write(
        `POST ${DISTRIBUTION_WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          'Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{"events":[',
      );
      await waitFor('the 413', async () => (c.received().includes('\r\n\r\n') ? true : undefined), {
        timeoutMs: 10_000,
      });
      expect(c.received()).toMatch(/^HTTP\/1\.1 413/);
      expect(await within(c.closed, 10_000)).toBe(true);
    });

    it('refuses a streamed body once it passes the limit, before it ends', async () => {
      const c = rawConnection(a);
      c.socket.write(
        `POST ${DISTRIBUTION_WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = 'x'.repeat(64 * 1024);
      // 1.5 MiB sent, no final chunk: the body never ends from the client's side.
      for (let i = 0; i < 24 && !c.socket.destroyed; i++)
        c.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      await waitFor('the 413', async () => (c.received().includes('\r\n\r\n') ? true : undefined), {
        timeoutMs: 10_000,
      });
      expect(c.received()).toMatch(/^HTTP\/1\.1 413/);
      expect(await within(c.closed, 10_000)).toBe(true);
    });
  });
});
