import { randomBytes } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HarborFrontOptions {
  /** The real distribution registry behind it (Harbor runs one too). */
  upstream: string;
  /** The robot account: Harbor names them `robot$<project>+<name>`. */
  robot: { username: string; password: string };
  /** Projects that exist; a repository's project is its first path component. */
  projects: string[];
}

/** What reached the front: method, path and the status it answered. */
export interface FrontLog {
  method: string;
  path: string;
  status: number;
}

export interface HarborFront {
  url: string;
  host: string;
  log: FrontLog[];
  close(): Promise<void>;
}

const SERVICE = 'harbor-registry';
const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };

/**
 * Harbor's registry front (core's /v2 proxy with its v2auth middleware and the
 * /service/token endpoint, as in Harbor 2.x) in front of a real distribution
 * registry. It answers auth and missing projects byte for byte as Harbor does:
 *
 * - `GET /v2/` without a token: 401, `Www-Authenticate: Bearer
 *   realm="<url>/service/token",service="harbor-registry"`.
 * - `GET /service/token?service=&scope=` with the robot's Basic credentials: 200
 *   `{"token","expires_in":1800,"issued_at"}`, granting nothing in projects that do
 *   not exist; POST: 405 (Harbor's token service does not do the OAuth2 form).
 * - any /v2/<project>/… request with a token, where the project does not exist:
 *   401 with an empty `Www-Authenticate` and `{"errors":[{"code":"UNAUTHORIZED",
 *   "message":"project <p> not found: project <p> not found"}]}` (no body to a HEAD).
 * - a token without the action: 401, `Www-Authenticate: Basic realm="harbor"`,
 *   "unauthorized to access repository: …".
 * - everything else goes through to the registry behind it.
 */
export async function startHarborFront(options: HarborFrontOptions): Promise<HarborFront> {
  const upstream = new URL(options.upstream);
  const projects = new Set(options.projects);
  const tokens = new Map<string, Map<string, Set<string>>>(); // token → repository → actions
  const log: FrontLog[] = [];
  let url = '';

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body = '',
  ) => {
    log.push({ method: req.method ?? '', path: req.url ?? '', status });
    req.resume();
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const harborError = (message: string) =>
    JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message }] }) + '\n';
  const json = { 'content-type': 'application/json; charset=utf-8' };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://front');
    if (path.pathname === '/service/token') {
      if (req.method !== 'GET') return send(req, res, 405, {}, 'Method Not Allowed');
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, ...rest] = Buffer.from(basic ?? '', 'base64')
        .toString()
        .split(':');
      if (user !== options.robot.username || rest.join(':') !== options.robot.password) {
        return send(req, res, 401, json, harborError('unauthorized: authentication required'));
      }
      const access = new Map<string, Set<string>>();
      for (const scope of path.searchParams.getAll('scope')) {
        const [type, name, actions] = scope.split(':');
        if (type !== 'repository' || !name || !projects.has(name.split('/')[0]!)) continue;
        access.set(name, new Set((actions ?? '').split(',')));
      }
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, access);
      return send(
        req,
        res,
        200,
        json,
        JSON.stringify({ token, expires_in: 1800, issued_at: new Date().toISOString() }),
      );
    }

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const access = bearer ? tokens.get(bearer) : undefined;
    const challenge = (scope?: string) =>
      `Bearer realm="${url}/service/token",service="${SERVICE}"${scope ? `,scope="${scope}"` : ''}`;
    if (path.pathname === '/v2/' || path.pathname === '/v2') {
      if (!access) {
        return send(
          req,
          res,
          401,
          { ...json, ...API_VERSION, 'www-authenticate': challenge() },
          harborError('unauthorized: unauthorized'),
        );
      }
      return forward(req, res);
    }
    const repository = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path.pathname)?.[1];
    if (!repository) return forward(req, res);
    const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
    if (!access) {
      return send(
        req,
        res,
        401,
        {
          ...json,
          ...API_VERSION,
          'www-authenticate': challenge(`repository:${repository}:${action}`),
        },
        harborError('unauthorized: unauthorized'),
      );
    }
    const project = repository.split('/')[0]!;
    if (!projects.has(project)) {
      const notFound = `project ${project} not found`;
      return send(
        req,
        res,
        401,
        { ...json, ...API_VERSION, 'www-authenticate': '' },
        harborError(`${notFound}: ${notFound}`),
      );
    }
    if (!access.get(repository)?.has(action)) {
      const denied = `unauthorized to access repository: ${repository}, action: ${action}`;
      return send(
        req,
        res,
        401,
        { ...json, ...API_VERSION, 'www-authenticate': 'Basic realm="harbor"' },
        harborError(`${denied}: ${denied}`),
      );
    }
    return forward(req, res);
  });

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const headers = { ...req.headers };
    delete headers.authorization;
    const proxied = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // distribution builds upload Locations from Host: they then point at the front.
        headers,
      },
      (answer) => {
        log.push({ method: req.method ?? '', path: req.url ?? '', status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on('error', () => res.destroy());
    req.pipe(proxied);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    host: `127.0.0.1:${port}`,
    log,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
