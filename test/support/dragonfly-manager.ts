import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MANIFEST_ACCEPT } from '../../src/oci/index.js';

/**
 * A Dragonfly manager's open API job endpoints, as Dragonfly v2.5.1 serves them
 * (manager/router, handlers/job.go, middlewares/personal_access_token.go and error.go,
 * types/job.go, models/job.go, service/job.go CreatePreheatJob, internal/job): the same
 * routes, authentication, binding errors, defaults, job and result shapes and states.
 * Like the real manager, a preheat job resolves its manifest URL against the registry
 * (GET, with the args' username and password), so a wrong URL fails the job; instead
 * of seed peers downloading the layers, each blob URL is reported as preheated.
 */
export interface FakeManagerOptions {
  /** Personal access tokens with the `job` scope. */
  tokens: string[];
  /** GETs of a job that still answer PENDING, before it ends. */
  pendingPolls?: number;
  /** Make every job end in FAILURE (as when no scheduler could preheat). */
  failJobs?: boolean;
  /** Answer the first N job creations with 429 "rate limit exceeded". */
  rateLimitFirst?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

interface StoredJob {
  job: Record<string, unknown>;
  polls: number;
  outcome: Promise<{ state: 'SUCCESS' | 'FAILURE'; result: Record<string, unknown> }>;
}

const DEFAULT_FILTERED_QUERY_PARAMS =
  'X-Amz-Algorithm&X-Amz-Credential&X-Amz-Date&X-Amz-Expires&X-Amz-SignedHeaders&X-Amz-Signature&X-Amz-Security-Token&X-Amz-User-Agent&X-Goog-Algorithm&X-Goog-Credential&X-Goog-Date&X-Goog-Expires&X-Goog-SignedHeaders&X-Goog-Signature&OSSAccessKeyId&Expires&Signature&SecurityToken&AccessKeyId&Signature&Expires&X-Obs-Date&X-Obs-Security-Token&q-sign-algorithm&q-ak&q-sign-time&q-key-time&q-header-list&q-url-param-list&q-signature&x-cos-security-token&ns';
const MANIFEST_URL = /^(.*):\/\/(.*)\/v2\/(.*)\/manifests\/(.*)/;
const ZERO_TIME = '0001-01-01T00:00:00Z';

export class FakeDragonflyManager {
  readonly requests: RecordedRequest[] = [];
  private readonly jobs = new Map<number, StoredJob>();
  private nextId = 1;
  private rateLimited = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: FakeManagerOptions,
  ) {}

  static async start(options: FakeManagerOptions): Promise<FakeDragonflyManager> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const manager = new FakeDragonflyManager(server, `http://127.0.0.1:${port}`, options);
    server.on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => void manager.handle(req, res),
    );
    return manager;
  }

  /** The preheat jobs created so far (their `args` as the manager stored them). */
  createdJobs(): Record<string, unknown>[] {
    return [...this.jobs.values()].map((j) => j.job);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const raw = await readBody(req);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
    };
    this.requests.push(recorded);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (!url.pathname.startsWith('/oapi/v1/jobs')) return send(404, { message: 'Not Found' });
    if (!this.authorised(req, url)) return send(401, { message: 'Unauthorized' });
    const id = /^\/oapi\/v1\/jobs\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === 'POST' && url.pathname === '/oapi/v1/jobs') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
        recorded.body = body;
      } catch (error) {
        return send(422, { errors: (error as Error).message });
      }
      if (this.rateLimited < (this.options.rateLimitFirst ?? 0)) {
        this.rateLimited++;
        res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('rate limit exceeded');
      }
      return this.createJob(body, send);
    }
    if (req.method === 'GET' && id !== undefined) {
      if (!/^\d+$/.test(id) || Number(id) === 0) {
        return send(422, {
          errors:
            "Key: 'JobParams.ID' Error:Field validation for 'ID' failed on the 'required' tag",
        });
      }
      const stored = this.jobs.get(Number(id));
      if (!stored) return send(404, { message: 'Not Found' });
      if (stored.polls++ >= (this.options.pendingPolls ?? 1)) {
        const { state, result } = await stored.outcome;
        Object.assign(stored.job, { state, result, updated_at: new Date().toISOString() });
      }
      return send(200, stored.job);
    }
    return send(404, { message: 'Not Found' });
  }

  /** middlewares.PersonalAccessToken: `access_token` query, else `Bearer <token>`. */
  private authorised(req: IncomingMessage, url: URL): boolean {
    let token = url.searchParams.get('access_token')?.trim();
    if (!token) {
      const fields = (req.headers.authorization ?? '').split(/\s+/).filter(Boolean);
      if (fields.length !== 2 || fields[0]!.toLowerCase() !== 'bearer') return false;
      token = fields[1];
    }
    return this.options.tokens.includes(token!);
  }

  private createJob(body: Record<string, unknown>, send: (status: number, body: unknown) => void) {
    if (typeof body.type !== 'string' || body.type === '') {
      return send(422, {
        errors:
          "Key: 'CreateJobRequest.Type' Error:Field validation for 'Type' failed on the 'required' tag",
      });
    }
    if (body.type !== 'preheat') return send(422, { errors: `unsupported job type ${body.type}` });
    const args = (body.args ?? {}) as Record<string, unknown>;
    if (args.type !== 'image' && args.type !== 'file') {
      return send(422, {
        errors:
          "Key: 'CreatePreheatJobRequest.Args.Type' Error:Field validation for 'Type' failed on the " +
          `'${args.type === undefined || args.type === '' ? 'required' : 'oneof'}' tag`,
      });
    }
    for (const field of ['url', 'platform', 'scope', 'username', 'password', 'bio']) {
      const value = field === 'bio' ? body.bio : args[field];
      if (value !== undefined && typeof value !== 'string') {
        return send(422, {
          errors: `json: cannot unmarshal ${typeof value} into Go struct field PreheatArgs.args.${field} of type string`,
        });
      }
    }
    if (args.type === 'image' && !args.url) {
      return send(500, { message: 'invalid params: url is required' });
    }
    const id = this.nextId++;
    const now = new Date().toISOString();
    // service.CreatePreheatJob's defaults, then structure.StructToMap of PreheatArgs.
    const stored = {
      type: args.type,
      url: args.url ?? '',
      urls: args.urls ?? null,
      piece_length: args.piece_length ?? null,
      tag: args.tag ?? '',
      application: args.application ?? '',
      filtered_query_params: args.filtered_query_params || DEFAULT_FILTERED_QUERY_PARAMS,
      headers: args.headers ?? null,
      username: args.username ?? '',
      password: args.password ?? '',
      platform: args.platform ?? '',
      scope: args.scope || 'single_seed_peer',
      ips: args.ips ?? null,
      percentage: args.percentage ?? null,
      count: args.count ?? null,
      concurrent_task_count: args.concurrent_task_count || 8,
      concurrent_peer_count: args.concurrent_peer_count || 500,
      timeout: args.timeout || 3_600_000_000_000,
      object_storage: args.object_storage ?? null,
      hdfs: args.hdfs ?? null,
    };
    const clusterIds = (body.scheduler_cluster_ids as number[] | undefined) ?? [1];
    const job = {
      id,
      created_at: now,
      updated_at: now,
      is_del: 0,
      task_id: `group_${randomUUID()}`,
      bio: body.bio ?? '',
      type: 'preheat',
      state: 'PENDING',
      args: stored,
      result: {},
      user_id: 0,
      user: zeroUser(),
      seed_peer_clusters: null,
      scheduler_clusters: clusterIds.map((clusterId) => schedulerCluster(clusterId)),
    };
    this.jobs.set(id, { job, polls: 0, outcome: this.run(job.task_id, stored, now) });
    send(200, job);
  }

  /** What the scheduler's seed peer reports: the image's blobs preheated, or why not. */
  private async run(
    groupUuid: string,
    args: { url: unknown; platform: unknown; username: unknown; password: unknown },
    createdAt: string,
  ) {
    const jobState = (state: string, results: unknown[] | null, error: string) => ({
      group_uuid: groupUuid,
      state,
      created_at: createdAt,
      updated_at: new Date().toISOString(),
      job_states: [
        {
          task_uuid: `task_${randomUUID()}`,
          task_name: 'preheat',
          state,
          results,
          error,
          created_at: createdAt,
          ttl: 0,
        },
      ],
    });
    try {
      if (this.options.failJobs) throw new Error('no seed peer could download the image');
      const blobs = await resolveBlobUrls(
        String(args.url),
        String(args.platform || 'linux/amd64'),
        args.username
          ? { username: String(args.username), password: String(args.password) }
          : undefined,
      );
      const preheated = blobs.map((url) => ({ url, hostname: 'seed-peer-0', ip: '127.0.0.1' }));
      return {
        state: 'SUCCESS' as const,
        result: jobState(
          'SUCCESS',
          [{ success_tasks: preheated, failure_tasks: null, scheduler_cluster_id: 1 }],
          '',
        ),
      };
    } catch (error) {
      return {
        state: 'FAILURE' as const,
        result: jobState('FAILURE', null, (error as Error).message),
      };
    }
  }
}

/** pkg/oci Resolve: the manifest (for an index, the entry for `platform`), then its blob URLs. */
async function resolveBlobUrls(
  manifestUrl: string,
  platform: string,
  credentials?: { username: string; password: string },
): Promise<string[]> {
  const match = MANIFEST_URL.exec(manifestUrl);
  if (!match) throw new Error(`invalid manifest url ${manifestUrl}`);
  const [, scheme, registry, repository] = match;
  const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
  if (credentials) {
    headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }
  const get = async (url: string) => {
    const res = await fetch(url, { headers });
    if (!res.ok) throw new Error(`failed to pull image manifest: ${res.status} from ${url}`);
    return (await res.json()) as {
      manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
      config?: { digest: string };
      layers?: { digest: string }[];
    };
  };
  let manifest = await get(manifestUrl);
  if (manifest.manifests) {
    const [os, architecture] = platform.split('/');
    const entry = manifest.manifests.find(
      (m) => m.platform?.os === os && m.platform?.architecture === architecture,
    );
    if (!entry) throw new Error(`no matching manifest for platform ${platform}`);
    manifest = await get(`${scheme}://${registry}/v2/${repository}/manifests/${entry.digest}`);
  }
  const digests = [manifest.config?.digest, ...(manifest.layers ?? []).map((l) => l.digest)];
  return digests
    .filter((d): d is string => !!d)
    .map((d) => `${scheme}://${registry}/v2/${repository}/blobs/${d}`);
}

function zeroUser() {
  return {
    id: 0,
    created_at: ZERO_TIME,
    updated_at: ZERO_TIME,
    is_del: 0,
    email: '',
    name: '',
    avatar: '',
    phone: '',
    state: '',
    location: '',
    bio: '',
    configs: null,
  };
}

function schedulerCluster(id: number) {
  return {
    id,
    created_at: ZERO_TIME,
    updated_at: ZERO_TIME,
    is_del: 0,
    name: id === 1 ? 'cluster-1' : `cluster-${id}`,
    bio: '',
    config: {},
    client_config: {},
    seed_client_config: {},
    scopes: {},
    is_default: id === 1,
    seed_peer_clusters: null,
    schedulers: null,
    peers: null,
    jobs: null,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
