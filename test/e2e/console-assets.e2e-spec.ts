import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CONSOLE_DIR, consoleAssets } from '../../src/console/console-assets.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A raw GET (fetch would negotiate and undo the compression this checks). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console served by the app', () => {
  let t: TestApp;
  let index: string;
  beforeAll(async () => {
    index = await readFile(join(CONSOLE_DIR, 'index.html'), 'utf8').catch(() => {
      throw new Error(`The console is not built in ${CONSOLE_DIR}: run \`npm run build\` first`);
    });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers / and any console path with index.html, never cached, under a strict CSP', async () => {
    for (const path of ['/', '/executions/3f1c0000-0000-4000-8000-000000000000?status=failed']) {
      const res = await get(t.url + path, { accept: 'text/html' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toMatch(
        /default-src 'self'.*frame-ancestors 'none'/,
      );
      expect(res.body.toString()).toBe(index);
    }
  });

  it('serves the hashed assets gzipped, cached for good, with an ETag', async () => {
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    const res = await get(t.url + script!, { 'accept-encoding': 'gzip, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const file = await readFile(join(CONSOLE_DIR, script!));
    expect(gunzipSync(res.body).equals(file)).toBe(true);
    expect(res.body.length).toBeLessThan(file.length);

    const plain = await get(t.url + script!);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(file)).toBe(true);
    const again = await get(t.url + script!, { 'if-none-match': String(res.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get(t.url + script!, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(file.length);
  });

  it('leaves the server paths alone: /api keeps its JSON 404s and 401s, /docs, /health and /metrics work', async () => {
    const missing = await get(`${t.url}/api/v1/nothing-here`, { accept: 'text/html' });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    const unauthorised = await get(`${t.url}/api/v1/registries`, { accept: 'text/html' });
    expect(unauthorised.status).toBe(401);
    expect(JSON.parse(unauthorised.body.toString())).toMatchObject({ statusCode: 401 });
    const docs = await get(`${t.url}/docs`, { accept: 'text/html' });
    expect(docs.status).toBe(200);
    expect(docs.body.toString()).toMatch(/swagger/i);
    expect((await get(`${t.url}/docs-json`)).headers['content-type']).toMatch(/json/);
    expect((await get(`${t.url}/health/live`)).status).toBe(200);
    const metrics = await get(`${t.url}/metrics`);
    expect(metrics.body.toString()).toContain('regrelay_');
  });

  it('answers 404 for files the build does not have, and serves nothing outside it', async () => {
    for (const path of [
      '/assets/nope.js',
      '/favicon.ico',
      '/../package.json',
      '/%2e%2e/package.json',
    ]) {
      const res = await get(t.url + path, { accept: '*/*' });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    expect((await get(`${t.url}/`, {}, 'POST')).status).toBe(404);
  });

  it('says how to build it when an installation has no console', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'regrelay-console-'));
    const handler = consoleAssets(empty);
    const server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(404);
        res.end('passed on');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const root = await get(`${url}/`);
      expect(root.status).toBe(503);
      expect(root.body.toString()).toMatch(/npm run build/);
      expect((await get(`${url}/policies`)).body.toString()).toBe('passed on');
    } finally {
      server.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
