import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_DENY_NETWORKS, parseNetwork } from '../oci/address-policy.js';

/**
 * The service's configuration, read once from the environment at boot.
 * Everything else receives this object (injected by its class), never `process.env`.
 */
export class AppConfig {
  readonly port!: number;
  readonly host!: string;
  /** Set when an external PostgreSQL is used; unset means embedded PostgreSQL. */
  readonly databaseUrl?: string;
  readonly dataDir!: string;
  readonly adminToken?: string;
  /** 32-byte AES-256-GCM key; unset means a key file in the data directory. */
  readonly secretKey?: Buffer;
  /** Keys that sealed older values; they still open them during a key rotation. */
  readonly previousSecretKeys!: Buffer[];
  readonly logLevel!: LogLevel;
  readonly logFormat!: LogFormat;
  readonly shutdownTimeoutMs!: number;
  /** Tasks this process runs at once; 0 makes it an API-only replica. */
  readonly workers!: number;
  readonly taskLeaseSeconds!: number;
  readonly taskMaxAttempts!: number;
  /** How often idle workers and the execution runner look for work. */
  readonly pollIntervalMs!: number;
  /** Registry requests in flight while one execution plans. */
  readonly planningConcurrency!: number;
  readonly executionRetentionCount!: number;
  readonly executionRetentionDays!: number;
  /** A plan deleting more than this share of a destination's replicated tags is held. */
  readonly deletionGuardShare!: number;
  /** How long events from one registry are gathered before they trigger executions. */
  readonly eventCoalesceMs!: number;
  /** CIDRs no outbound registry connection may reach (after DNS resolution). */
  readonly denyNetworks!: string[];
  /** CIDRs reachable even inside a denied network. */
  readonly allowNetworks!: string[];
  /** How often a running Dragonfly preheat job is asked for its state. */
  readonly preheatPollIntervalMs!: number;
  /** How long a preheat may take, from its creation, before it counts as failed. */
  readonly preheatTimeoutSeconds!: number;
  /** Open execution event streams (SSE), in all and per API token. */
  readonly sseMaxStreams!: number;
  readonly sseMaxStreamsPerToken!: number;
  /** Failed authentications per client address per minute before 429. */
  readonly authFailuresPerMinute!: number;
  /** Express `trust proxy`: which peers' X-Forwarded-For names the client address. */
  readonly trustProxy!: string | number;
  readonly httpHeadersTimeoutMs!: number;
  readonly httpRequestTimeoutMs!: number;
  readonly httpKeepAliveTimeoutMs!: number;
  /** How often cached registry clients are checked against the table (deletes elsewhere). */
  readonly registryClientSweepMs!: number;
  readonly auditRetentionDays!: number;

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }
}

export type AppConfigValues = { -readonly [K in keyof AppConfig]: AppConfig[K] };

/** Never echoed back in an error message. */
const SECRET_VARIABLES = new Set([
  'REGRELAY_SECRET_KEY',
  'REGRELAY_SECRET_KEY_PREVIOUS',
  'REGRELAY_ADMIN_TOKEN',
  'DATABASE_URL',
]);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

/** Raised when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `expected at least ${min}`).max(max, `expected at most ${max}`));

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'expected a URL like postgres://user:password@host:5432/database');

const secretKey = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const key = decodeKey(v);
    if (!key) {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected 32 random bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)',
      });
      return z.NEVER;
    }
    return key;
  });

/** Comma- or space-separated CIDRs; `none` is the empty list. */
const networkList = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (v.toLowerCase() === 'none') return [];
    const networks: string[] = [];
    for (const item of v.split(/[\s,]+/).filter(Boolean)) {
      const parsed = parseNetwork(item);
      if ('reason' in parsed) {
        ctx.addIssue({ code: 'custom', message: `${parsed.reason} (a comma-separated CIDR list)` });
        return z.NEVER;
      }
      networks.push(parsed.cidr);
    }
    return networks;
  });
/** A hop count, or names (loopback, linklocal, uniquelocal) and addresses/CIDRs, comma-separated. */
const trustProxy = z
  .string()
  .trim()
  .refine(
    (v) =>
      /^\d{1,2}$/.test(v) ||
      v
        .split(',')
        .map((p) => p.trim())
        .every((p) => /^(loopback|linklocal|uniquelocal|[0-9A-Fa-f:.]+(\/\d{1,3})?)$/.test(p)),
    'expected a hop count, or loopback, linklocal, uniquelocal and addresses or CIDRs, comma-separated',
  )
  .transform((v) => (/^\d{1,2}$/.test(v) ? Number(v) : v));

/** Empty strings count as unset: `FOO=` in an env file should mean "default", not "invalid". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const schema = z.object({
  PORT: optional(integer(1, 65535)),
  HOST: optional(z.string().trim().min(1)),
  DATABASE_URL: optional(postgresUrl),
  REGRELAY_DATA_DIR: optional(z.string().trim().min(1)),
  REGRELAY_ADMIN_TOKEN: optional(
    z.string().trim().min(16, 'expected at least 16 characters (use a long random value)'),
  ),
  REGRELAY_SECRET_KEY: optional(secretKey),
  REGRELAY_SECRET_KEY_PREVIOUS: optional(
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .pipe(z.array(secretKey)),
  ),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })),
  LOG_FORMAT: optional(z.enum(['json', 'pretty'], { error: 'expected json or pretty' })),
  REGRELAY_SHUTDOWN_TIMEOUT_SECONDS: optional(integer(1, 3600)),
  REGRELAY_WORKERS: optional(integer(0, 256)),
  REGRELAY_TASK_LEASE_SECONDS: optional(integer(5, 3600)),
  REGRELAY_TASK_MAX_ATTEMPTS: optional(integer(1, 100)),
  REGRELAY_POLL_INTERVAL_MS: optional(integer(50, 60_000)),
  REGRELAY_PLANNING_CONCURRENCY: optional(integer(1, 256)),
  REGRELAY_EXECUTION_RETENTION_COUNT: optional(integer(1, 100_000)),
  REGRELAY_EXECUTION_RETENTION_DAYS: optional(integer(1, 3650)),
  REGRELAY_DELETION_GUARD_SHARE: optional(
    z
      .string()
      .trim()
      .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'expected a share between 0 and 1, e.g. 0.5')
      .transform(Number),
  ),
  REGRELAY_EVENT_COALESCE_MS: optional(integer(0, 60_000)),
  REGRELAY_DENY_NETWORKS: optional(networkList),
  REGRELAY_ALLOW_NETWORKS: optional(networkList),
  REGRELAY_PREHEAT_POLL_INTERVAL_MS: optional(integer(100, 60_000)),
  REGRELAY_PREHEAT_TIMEOUT_SECONDS: optional(integer(10, 86_400)),
  REGRELAY_SSE_MAX_STREAMS: optional(integer(1, 100_000)),
  REGRELAY_SSE_MAX_STREAMS_PER_TOKEN: optional(integer(1, 100_000)),
  REGRELAY_AUTH_FAILURES_PER_MINUTE: optional(integer(1, 100_000)),
  REGRELAY_TRUST_PROXY: optional(trustProxy),
  REGRELAY_HTTP_HEADERS_TIMEOUT_SECONDS: optional(integer(1, 600)),
  REGRELAY_HTTP_REQUEST_TIMEOUT_SECONDS: optional(integer(1, 3600)),
  REGRELAY_HTTP_KEEPALIVE_TIMEOUT_SECONDS: optional(integer(1, 600)),
  REGRELAY_REGISTRY_CLIENT_SWEEP_SECONDS: optional(integer(1, 3600)),
  REGRELAY_AUDIT_RETENTION_DAYS: optional(integer(1, 36_500)),
  NODE_ENV: optional(z.string()),
});

/**
 * Validates the environment into an AppConfig. Throws ConfigError naming every bad
 * variable, so an operator fixes them all in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        const raw = env[variable];
        const shown =
          SECRET_VARIABLES.has(variable) || raw === undefined
            ? ''
            : ` (got ${JSON.stringify(raw)})`;
        return { variable, reason: issue.message + shown };
      }),
    );
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.REGRELAY_SECRET_KEY) {
    // With an external database there may be several replicas; a key file generated
    // by each one would make every other replica's secrets unreadable.
    throw new ConfigError([
      {
        variable: 'REGRELAY_SECRET_KEY',
        reason:
          'required when DATABASE_URL is set: every replica must share one key (generate with `openssl rand -base64 32`)',
      },
    ]);
  }
  const headersTimeout = e.REGRELAY_HTTP_HEADERS_TIMEOUT_SECONDS ?? 20;
  const requestTimeout = e.REGRELAY_HTTP_REQUEST_TIMEOUT_SECONDS ?? 60;
  if (headersTimeout > requestTimeout) {
    // Node refuses a server whose headers may take longer than the whole request.
    throw new ConfigError([
      {
        variable: 'REGRELAY_HTTP_HEADERS_TIMEOUT_SECONDS',
        reason: `must not exceed REGRELAY_HTTP_REQUEST_TIMEOUT_SECONDS (${requestTimeout})`,
      },
    ]);
  }
  const production = e.NODE_ENV === 'production';
  return new AppConfig({
    port: e.PORT ?? 8080,
    host: e.HOST ?? '0.0.0.0',
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(cwd, e.REGRELAY_DATA_DIR ?? '.regrelay'),
    adminToken: e.REGRELAY_ADMIN_TOKEN,
    secretKey: e.REGRELAY_SECRET_KEY,
    previousSecretKeys: e.REGRELAY_SECRET_KEY_PREVIOUS ?? [],
    logLevel: e.LOG_LEVEL ?? 'info',
    logFormat: e.LOG_FORMAT ?? (production || !process.stdout.isTTY ? 'json' : 'pretty'),
    shutdownTimeoutMs: (e.REGRELAY_SHUTDOWN_TIMEOUT_SECONDS ?? 30) * 1000,
    workers: e.REGRELAY_WORKERS ?? 8,
    taskLeaseSeconds: e.REGRELAY_TASK_LEASE_SECONDS ?? 30,
    taskMaxAttempts: e.REGRELAY_TASK_MAX_ATTEMPTS ?? 5,
    pollIntervalMs: e.REGRELAY_POLL_INTERVAL_MS ?? 1000,
    planningConcurrency: e.REGRELAY_PLANNING_CONCURRENCY ?? 16,
    executionRetentionCount: e.REGRELAY_EXECUTION_RETENTION_COUNT ?? 50,
    executionRetentionDays: e.REGRELAY_EXECUTION_RETENTION_DAYS ?? 30,
    deletionGuardShare: e.REGRELAY_DELETION_GUARD_SHARE ?? 0.5,
    eventCoalesceMs: e.REGRELAY_EVENT_COALESCE_MS ?? 1000,
    denyNetworks: e.REGRELAY_DENY_NETWORKS ?? [...DEFAULT_DENY_NETWORKS],
    allowNetworks: e.REGRELAY_ALLOW_NETWORKS ?? [],
    preheatPollIntervalMs: e.REGRELAY_PREHEAT_POLL_INTERVAL_MS ?? 5000,
    // Dragonfly's own job timeout is 60 minutes; a little more for its bookkeeping.
    preheatTimeoutSeconds: e.REGRELAY_PREHEAT_TIMEOUT_SECONDS ?? 3900,
    sseMaxStreams: e.REGRELAY_SSE_MAX_STREAMS ?? 200,
    sseMaxStreamsPerToken: e.REGRELAY_SSE_MAX_STREAMS_PER_TOKEN ?? 20,
    authFailuresPerMinute: e.REGRELAY_AUTH_FAILURES_PER_MINUTE ?? 30,
    trustProxy: e.REGRELAY_TRUST_PROXY ?? 'loopback',
    httpHeadersTimeoutMs: headersTimeout * 1000,
    httpRequestTimeoutMs: requestTimeout * 1000,
    httpKeepAliveTimeoutMs: (e.REGRELAY_HTTP_KEEPALIVE_TIMEOUT_SECONDS ?? 5) * 1000,
    registryClientSweepMs: (e.REGRELAY_REGISTRY_CLIENT_SWEEP_SECONDS ?? 30) * 1000,
    auditRetentionDays: e.REGRELAY_AUDIT_RETENTION_DAYS ?? 365,
  });
}

/** Accepts 64 hex characters or base64/base64url of exactly 32 bytes. */
export function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === 32) return key;
  }
  return undefined;
}

/** Every environment variable regrelay reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);
