import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';

const run = promisify(execFile);

export interface TokenRequestLog {
  method: 'GET' | 'POST';
  user?: string;
  scopes: string[];
  /** The `service` parameter as the client sent it. */
  service?: string;
}

export interface TokenServerOptions {
  users: { username: string; password: string }[];
  /** Actions granted; default: everything asked to users, `pull` to anonymous. */
  grant?: (user: string | undefined, type: string, name: string, actions: string[]) => string[];
  /** Answer POST with this status (e.g. 404) to exercise the GET fallback. */
  postStatus?: number;
  expiresInSeconds?: number;
  /** A loopback address to listen on (127.0.0.2 is "another host"). Default 127.0.0.1. */
  address?: string;
  /** The realm's path (default `/token`). */
  path?: string;
  /** The `service` the registry names in its challenge and the token's audience. */
  service?: string;
  issuer?: string;
  /** Answer only `token` (as ACR's token service does), not also `access_token`. */
  tokenOnly?: boolean;
}

/** A Docker token server for distribution's `auth.token`, with a cert made at test time. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT/token` (or the address asked for) */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate path for distribution's `rootcertbundle`. */
  certPath: string;
  log: TokenRequestLog[];
  /** TCP connections accepted so far (0 proves nothing was sent to it). */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Issues ES256 JWTs whose header carries the signing certificate (`x5c`): distribution
 * 2.8.2 checks that chain against `rootcertbundle`, which holds the same self-signed
 * certificate. node:crypto cannot create certificates, so `openssl req -x509` does.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const openssl = requireBinary('openssl');
  const dir = await mkdtemp(join(tmpdir(), 'regrelay-token-'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await run(openssl, [
    'req',
    '-x509',
    '-new',
    '-key',
    keyPath,
    '-subj',
    '/CN=regrelay-test-token',
    '-days',
    '2',
    '-out',
    certPath,
  ]);
  const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');

  const service = options.service ?? 'regrelay-test-registry';
  const issuer = options.issuer ?? 'regrelay-test-issuer';
  const realmPath = options.path ?? '/token';
  const log: TokenRequestLog[] = [];
  const grant =
    options.grant ??
    ((user, _type, _name, actions) => (user ? actions : actions.filter((a) => a === 'pull')));

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== realmPath) return void res.writeHead(404).end();
      let params = url.searchParams;
      let user: string | undefined;
      let scopes: string[];
      if (req.method === 'POST') {
        if (options.postStatus) return void res.writeHead(options.postStatus).end();
        params = new URLSearchParams(await readBody(req));
        scopes = (params.get('scope') ?? '').split(' ').filter(Boolean);
        const found = options.users.find((u) => u.username === params.get('username'));
        if (!found || found.password !== params.get('password')) return void deny(res);
        user = found.username;
      } else {
        scopes = params.getAll('scope');
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
        if (basic) {
          const [name, ...rest] = Buffer.from(basic[1]!, 'base64').toString().split(':');
          const found = options.users.find((u) => u.username === name);
          if (!found || found.password !== rest.join(':')) return void deny(res);
          user = found.username;
        }
      }
      log.push({
        method: req.method as 'GET' | 'POST',
        user,
        scopes,
        service: params.get('service') ?? undefined,
      });
      const access = scopes.map((scope) => {
        const parts = scope.split(':');
        const actions = parts.pop()!.split(',');
        const type = parts.shift()!;
        const name = parts.join(':');
        return { type, name, actions: grant(user, type, name, actions) };
      });
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = options.expiresInSeconds ?? 300;
      const token = jwt(
        { typ: 'JWT', alg: 'ES256', x5c: [certDer] },
        {
          iss: issuer,
          sub: user ?? '',
          aud: service,
          exp: now + expiresIn,
          nbf: now - 5,
          iat: now,
          jti: randomUUID(),
          access,
        },
        privateKey,
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          options.tokenOnly
            ? { token }
            : {
                token,
                access_token: token,
                expires_in: expiresIn,
                issued_at: new Date().toISOString(),
              },
        ),
      );
    })();
  });
  let connections = 0;
  server.on('connection', () => connections++);
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://${address}:${port}${realmPath}`,
    service,
    issuer,
    certPath,
    log,
    get connections() {
      return connections;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function deny(res: import('node:http').ServerResponse): void {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
}

function jwt(header: object, claims: object, key: import('node:crypto').KeyObject): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${b64(header)}.${b64(claims)}`;
  // JWS wants the raw r||s form, not DER.
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString();
}

/** distribution's `auth.token` settings (startRegistry's `token`) for this token server. */
export function tokenAuthOf(tokens: TokenServer) {
  return {
    realm: tokens.realm,
    service: tokens.service,
    issuer: tokens.issuer,
    rootCertBundle: tokens.certPath,
  };
}
