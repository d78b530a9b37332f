import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Where `npm run build` puts the console (Vite's output). Resolves the same from
 * src/console (tests) and dist/console (the built service).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Paths that belong to the server, never to the console's client-side routes. */
const SERVER_PATHS = ['/api', '/docs', '/docs-json', '/health', '/metrics'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

/** The console only talks to its own origin; nothing inline, nothing from elsewhere. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

type Next = (error?: unknown) => void;
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/**
 * Serves the built console: its files, and index.html for any other GET that asks
 * for a page (client-side routes such as /executions/…), so a reload or a shared
 * link works. Server paths pass through untouched, so /api keeps its JSON 404s.
 *
 * The files are read (and gzipped) once at start: they are small, immutable for the
 * life of the process, and only paths found in the build can ever be served.
 */
export function consoleAssets(dir: string = CONSOLE_DIR): ConsoleHandler {
  const assets = loadAssets(dir);
  const index = assets.get('/index.html');
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = pathOf(req.url);
    if (path === undefined || isServerPath(path)) return next();
    const asset = assets.get(path) ?? (path === '/' ? index : undefined);
    if (asset) return send(req, res, asset);
    if (!index) {
      if (path !== '/') return next();
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The console is not built into this installation: run `npm run build`.\n');
      return;
    }
    // A file that is not there is a 404; a page path is one of the console's routes.
    if (extname(path) || !acceptsHtml(req)) return next();
    send(req, res, index);
  };
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  for (const file of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!file.isFile()) continue;
    const full = join(file.parentPath, file.name);
    const urlPath = '/' + relative(dir, full).split(sep).join('/');
    const ext = extname(file.name);
    const body = readFileSync(full);
    const gzip = COMPRESSIBLE.has(ext) ? gzipSync(body, { level: 9 }) : undefined;
    assets.set(urlPath, {
      body,
      gzip: gzip && gzip.length < body.length ? gzip : undefined,
      type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      // Vite names what is under assets/ by content hash: it never changes.
      cacheControl: urlPath.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    });
  }
  return assets;
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers: Record<string, string | number> = {
    'content-type': asset.type,
    'cache-control': asset.cacheControl,
    etag: asset.etag,
    vary: 'Accept-Encoding',
    ...(asset.type.startsWith('text/html')
      ? PAGE_HEADERS
      : { 'x-content-type-options': 'nosniff' }),
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(url ?? '/', 'http://console.invalid').pathname);
  } catch {
    return undefined; // malformed escapes: not ours to answer
  }
}

function isServerPath(path: string): boolean {
  return SERVER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function acceptsHtml(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  return accept === '' || accept.includes('text/html') || accept.includes('*/*');
}
