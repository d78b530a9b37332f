import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ShutdownState } from '../../src/observability/shutdown-state.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface OpenApiDoc {
  paths: Record<string, Record<string, { summary?: string; security?: unknown[] }>>;
}

/** Every route Express knows, as OpenAPI path templates with their methods. */
function registeredRoutes(t: TestApp): string[] {
  const router = t.app.getHttpAdapter().getInstance().router as {
    stack: { route?: { path: string; methods: Record<string, boolean> } }[];
  };
  return (
    router.stack
      // Middleware (request logging) sits on catch-all `{/*splat}` routes: not API routes.
      // and the /docs pages describe the API rather than belong to it.
      .filter(
        (layer) =>
          layer.route && !layer.route.path.includes('*') && !layer.route.path.startsWith('/docs'),
      )
      .flatMap((layer) =>
        Object.keys(layer.route!.methods).map(
          (m) => `${m} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`,
        ),
      )
      .sort()
  );
}

describe('health, metrics and OpenAPI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers liveness and readiness without a token', async () => {
    const live = await t.api('/health/live', { token: null });
    expect(live.status).toBe(200);
    const ready = await t.api('/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'up' } },
    });
  });

  it('counts requests by route pattern and status in /metrics', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (let i = 0; i < 3; i++)
      await (await t.api(`/api/v1/tokens/${id}`, { method: 'DELETE' })).body?.cancel();
    await (await t.api('/api/v1/tokens', { token: null })).body?.cancel();
    // Under /api: any other path is one of the console's pages (index.html).
    await (await t.api('/api/v1/no/such/route', { token: null })).body?.cancel();

    const res = await t.api('/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain(
      'regrelay_http_requests_total{method="DELETE",route="/api/v1/tokens/:id",status="404"} 3',
    );
    expect(text).toContain(
      'regrelay_http_requests_total{method="GET",route="/api/v1/tokens",status="401"} 1',
    );
    expect(text).toMatch(
      /regrelay_http_request_duration_seconds_count\{method="DELETE",route="\/api\/v1\/tokens\/:id",status="404"\} 3/,
    );
    expect(text).toContain(
      'regrelay_http_requests_total{method="GET",route="unmatched",status="404"} 1',
    );
    // Raw ids and paths never become label values.
    expect(text).not.toContain('/no/such/route');
    expect(text).not.toContain(id);
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await t.api('/health/live', { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const made = await t.api('/health/live', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('describes every route in the OpenAPI document, with a summary', async () => {
    const res = await t.api('/docs-json', { token: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDoc;
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(documented).toEqual(registeredRoutes(t));
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) expect(op.summary).toBeTruthy();
    }
    expect(doc.paths['/api/v1/tokens']?.get?.security).toEqual([{ bearer: [] }]);
    expect((await t.api('/docs', { token: null })).status).toBe(200);
  });

  it('turns readiness to 503 once shutdown begins', async () => {
    t.app.get(ShutdownState).begin();
    const res = await t.api('/health/ready', { token: null });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'unavailable',
      checks: { process: { status: 'down' } },
    });
  });
});
