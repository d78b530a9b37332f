import { createHash } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One entry of a referrers answer (distribution-spec 1.1.1, "Listing Referrers"). */
export interface ReferrerEntry {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersFront {
  url: string;
  host: string;
  /** Requests that reached the referrers route, for tests that count them. */
  referrersRequests: number;
  close(): Promise<void>;
}

const MAX_MANIFEST_BYTES = 4 << 20;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * A registry with the OCI referrers API: the referrers part of distribution-spec
 * v1.1.1 (what distribution 3.x, zot, Harbor 2.8+ and ACR serve) in front of a real
 * CNCF distribution 2.8.2, which has none. It answers exactly as the spec says:
 *
 * - `PUT /v2/<name>/manifests/<reference>` of a manifest with a `subject` is stored
 *   by the registry behind, indexed, and answered with `OCI-Subject: <subject digest>`
 *   (the header that tells clients not to maintain the `sha256-<hex>` tag themselves).
 * - `GET /v2/<name>/referrers/<digest>[?artifactType=]`: 200, `Content-Type:
 *   application/vnd.oci.image.index.v1+json`, an image index whose `manifests` are the
 *   referrers' descriptors with `artifactType` (the manifest's, else its config's
 *   media type) and the manifest's `annotations`; filtered answers carry
 *   `OCI-Filters-Applied: artifactType`. A subject with no referrers (or unknown)
 *   gets an empty index, never a 404; a malformed digest gets 400 DIGEST_INVALID.
 * - `DELETE /v2/<name>/manifests/<digest>` removes the manifest from the lists.
 * - everything else goes through to the registry behind, untouched.
 *
 * The index lives in memory: a front restarted forgets it (the registry behind
 * keeps the manifests).
 */
export async function startReferrersFront(upstream: string): Promise<ReferrersFront> {
  const behind = new URL(upstream);
  /** repository → subject digest → referrers (by digest) */
  const index = new Map<string, Map<string, Map<string, ReferrerEntry>>>();
  const state = { referrersRequests: 0 };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://front').pathname;
    const referrers = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(path);
    if (referrers && (req.method === 'GET' || req.method === 'HEAD')) {
      state.referrersRequests++;
      return listReferrers(req, res, referrers[1]!, decodeURIComponent(referrers[2]!));
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (manifest && req.method === 'PUT') return putManifest(req, res, manifest[1]!);
    if (manifest && req.method === 'DELETE') {
      const [, repository, reference] = manifest;
      return forward(req, res, undefined, (status) => {
        if (status !== 202) return {};
        for (const list of index.get(repository!)?.values() ?? []) list.delete(reference!);
        return {};
      });
    }
    return forward(req, res);
  });

  function listReferrers(
    req: IncomingMessage,
    res: ServerResponse,
    repository: string,
    digest: string,
  ): void {
    req.resume();
    if (!DIGEST.test(digest)) {
      const body = JSON.stringify({
        errors: [
          { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' },
        ],
      });
      res.writeHead(400, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const artifactType = new URL(req.url ?? '/', 'http://front').searchParams.get('artifactType');
    let manifests = [...(index.get(repository)?.get(digest)?.values() ?? [])];
    const headers: Record<string, string> = { 'content-type': OCI_INDEX };
    if (artifactType) {
      manifests = manifests.filter((m) => m.artifactType === artifactType);
      headers['oci-filters-applied'] = 'artifactType';
    }
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function putManifest(req: IncomingMessage, res: ServerResponse, repository: string): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_MANIFEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const referrer = referrerOf(bytes, req.headers);
      forward(req, res, bytes, (status): Record<string, string> => {
        if (status !== 201 || !referrer) return {};
        const subjects = index.get(repository) ?? new Map<string, Map<string, ReferrerEntry>>();
        index.set(repository, subjects);
        const list = subjects.get(referrer.subject) ?? new Map<string, ReferrerEntry>();
        subjects.set(referrer.subject, list);
        list.set(referrer.entry.digest, referrer.entry);
        return { 'oci-subject': referrer.subject };
      });
    });
  }

  /**
   * Forwards a request to the registry behind (the body given, or streamed), passing
   * its answer back with the headers `extra` adds once the status is known.
   */
  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body?: Buffer,
    extra: (status: number) => Record<string, string> = () => ({}),
  ): void {
    const headers = { ...req.headers };
    if (body) headers['content-length'] = String(body.length);
    const proxied = httpRequest(
      {
        host: behind.hostname,
        port: behind.port,
        method: req.method,
        path: req.url,
        // distribution builds upload Locations from Host: they then point at the front.
        headers,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        res.writeHead(status, { ...answer.headers, ...extra(status) });
        answer.pipe(res);
      },
    );
    proxied.on('error', () => res.destroy());
    if (body) proxied.end(body);
    else req.pipe(proxied);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    get referrersRequests() {
      return state.referrersRequests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The referrers entry a manifest push makes, when the manifest has a subject. */
function referrerOf(
  bytes: Buffer,
  headers: IncomingHttpHeaders,
): { subject: string; entry: ReferrerEntry } | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const subject = json.subject as { digest?: unknown } | undefined;
  if (typeof subject?.digest !== 'string' || !DIGEST.test(subject.digest)) return undefined;
  const mediaType =
    typeof json.mediaType === 'string'
      ? json.mediaType
      : String(headers['content-type'] ?? '').split(';')[0]!;
  const config = json.config as { mediaType?: unknown } | undefined;
  const artifactType =
    typeof json.artifactType === 'string'
      ? json.artifactType
      : typeof config?.mediaType === 'string'
        ? config.mediaType
        : undefined;
  const entry: ReferrerEntry = {
    mediaType,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
  };
  if (artifactType) entry.artifactType = artifactType;
  if (json.annotations && typeof json.annotations === 'object')
    entry.annotations = json.annotations as Record<string, string>;
  return { subject: subject.digest, entry };
}
