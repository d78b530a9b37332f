import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../src/common/free-port.js';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

/**
 * A throwaway PostgreSQL server of its own (Debian's `postgresql` package: initdb and
 * pg_ctl), for tests that stop and start the database under a running regrelay or
 * share one external database between several regrelay processes. It listens on a
 * free port on 127.0.0.1 with password (SCRAM) authentication, and on a socket in its
 * own directory (never the shared /var/run/postgresql).
 */
export interface PostgresCluster {
  /** `postgres://postgres:…@127.0.0.1:PORT/regrelay`: what DATABASE_URL gets. */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown (`pg_ctl stop -m fast`): open connections are terminated. */
  stop(): Promise<void>;
  /** Starts it again on the same port and files. */
  start(): Promise<void>;
  /** The server's main process (from postmaster.pid): its backends are its children. */
  postmasterPid(): Promise<number>;
  /** Runs one statement as the superuser on the regrelay database. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/** Where initdb and pg_ctl are: REGRELAY_TEST_PG_BIN, or the newest Debian PostgreSQL. */
function binDir(): string {
  const override = process.env.REGRELAY_TEST_PG_BIN;
  if (override) return override;
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    throw new Error(
      `These tests start their own PostgreSQL server and found none under ${PG_ROOT}. ` +
        'Install it: `sudo apt-get install postgresql` (Debian/Ubuntu), or set ' +
        'REGRELAY_TEST_PG_BIN to a directory holding initdb and pg_ctl.',
    );
  return join(PG_ROOT, versions[0]!, 'bin');
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = binDir();
  const root = await mkdtemp(join(tmpdir(), 'regrelay-pg-'));
  // PostgreSQL refuses to run as root: as root, its files belong to the postgres user.
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  const as = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
      : run(join(bin, command), args);
  const data = join(root, 'data');
  const socket = join(root, 'socket');
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(root, 'pwfile');
  await chmod(root, 0o755);
  await mkdir(socket);
  await writeFile(pwfile, password + '\n', { mode: 0o600 });
  if (owner) for (const path of [root, socket, pwfile]) await chown(path, owner.uid, owner.gid);

  await as('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
    '--encoding=UTF8',
    '--no-sync',
  ]);
  await rm(pwfile);
  const port = await freePort();
  const options = [
    `-c listen_addresses=127.0.0.1`,
    `-p ${port}`,
    `-k ${socket}`,
    // Several regrelay processes of 21 connections each, plus the tests' own.
    `-c max_connections=200`,
    `-c fsync=off`,
  ].join(' ');
  const logFile = join(root, 'server.log');
  const start = async () => {
    try {
      await as('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', options, 'start']);
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`PostgreSQL did not start: ${String(error)}\n${log.slice(-2000)}`, {
        cause: error,
      });
    }
  };
  const stop = async () => {
    await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();

  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await withClient(`${base}/postgres`, (c) => c.query('CREATE DATABASE regrelay'));
  const url = `${base}/regrelay`;
  let destroyed = false;
  return {
    url,
    port,
    stop,
    start,
    async postmasterPid() {
      // Its first line is the pid; the file exists while the server runs.
      const pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${data}/postmaster.pid`);
      return pid;
    },
    query: <T>(sql: string, params: unknown[] = []) =>
      withClient(url, async (c) => (await c.query(sql, params)).rows as T[]),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stop().catch(() => undefined); // already stopped is fine
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres']).catch((error: unknown) => {
    throw new Error(
      'Running as root, the test PostgreSQL runs as the `postgres` user, which does not exist: ' +
        'install `postgresql` (its package creates the user).',
      { cause: error },
    );
  });
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
}
