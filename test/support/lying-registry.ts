import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';

export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export type Route = (req: IncomingMessage, url: URL) => Scripted | undefined;

/** What the lying registry saw: method, path and whether Authorization came along. */
export interface LieLog {
  method: string;
  path: string;
  authorization: boolean;
}

/**
 * A registry that says whatever the test scripts: wrong bytes for a digest, wrong
 * Docker-Content-Digest, huge or broken manifests, redirect loops. `GET /v2/`
 * answers 200 unless `basicAuth` is set; every other path comes from `routes`, first
 * match wins, else 404.
 */
export interface LyingRegistry {
  url: string;
  host: string;
  log: LieLog[];
  /** TCP connections accepted so far (0 proves nothing was even attempted). */
  readonly connections: number;
  route(route: Route): void;
  close(): Promise<void>;
}

export interface LyingRegistryOptions {
  basicAuth?: string;
  /** A loopback address to listen on (127.0.0.2 is "another host"). Default 127.0.0.1. */
  address?: string;
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export async function startLyingRegistry(
  options: LyingRegistryOptions = {},
): Promise<LyingRegistry> {
  const routes: Route[] = [];
  const log: LieLog[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    log.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: !!req.headers.authorization,
    });
    req.resume();
    if (options.basicAuth && req.headers.authorization !== `Basic ${options.basicAuth}`) {
      return send(
        res,
        { status: 401, headers: { 'www-authenticate': 'Basic realm="lying"' } },
        req.method,
      );
    }
    if (url.pathname === '/v2/') return send(res, { status: 200, body: '{}' }, req.method);
    for (const route of routes) {
      const answer = route(req, url);
      if (answer) return send(res, answer, req.method);
    }
    send(
      res,
      {
        status: 404,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'nothing here' }] }),
      },
      req.method,
    );
  };
  const server: Server = options.tls
    ? createTlsServer(options.tls, handler)
    : createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://${address}:${port}`,
    host: `${address}:${port}`,
    log,
    get connections() {
      return connections;
    },
    route: (route) => routes.push(route),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, answer: Scripted, method: string | undefined): void {
  const body = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
  res.writeHead(answer.status, { 'content-length': String(body.length), ...answer.headers });
  res.end(method === 'HEAD' ? undefined : body);
}
