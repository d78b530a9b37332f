import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { freePort } from '../../src/common/free-port.js';
import { requireBinary } from './binaries.js';

export interface RegistryOptions {
  /** Enables htpasswd Basic auth with these users. */
  users?: { username: string; password: string }[];
  /** Sends distribution notifications to this URL. */
  notifications?: { url: string; headers?: Record<string, string[]> };
  /** distribution's `auth.token` settings, for a test token server. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Listen on this port instead of a free one (to restart at the same address). */
  port?: number;
  /** Reuse this storage directory (to restart with the same content). */
  storageDir?: string;
  /** Picks the port when `port` is not given; a free one by default (tests replace it). */
  choosePort?: () => Promise<number>;
}

/** distribution adds this header, with a value of the instance's own, to every answer. */
const INSTANCE_HEADER = 'X-Regrelay-Test-Instance';
/** Attempts on a fresh port when the chosen one was taken before the registry bound it. */
const PORT_ATTEMPTS = 3;

/** A real CNCF distribution registry on a loopback port. */
export interface TestRegistry {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, as skopeo and image references want it. */
  readonly host: string;
  readonly port: number;
  readonly storageDir: string;
  /** The registry process (benchmarks read its /proc counters). */
  readonly pid: number;
  /** Stops the process; storage is kept until `destroy`. */
  stop(): Promise<void>;
  /** Stops the process and removes its storage. */
  destroy(): Promise<void>;
}

/**
 * Starts distribution (the `docker-registry` binary, e.g. Debian's package of
 * distribution 2.8.2) with temporary storage and deletes enabled. Fails with an
 * install hint when no binary is found.
 *
 * A free port is free only when asked: test files run in parallel, and another one may
 * bind it before the registry does. Then the registry exits with "address already in
 * use", or, worse, the other process answers /v2/ in its place; each instance therefore
 * sends a header of its own, and startRegistry tries again on a new port.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  if (options.port !== undefined) return startOnce(options, options.port);
  const choosePort = options.choosePort ?? (() => freePort());
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort();
    try {
      return await startOnce(options, port);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** The port was bound by someone else before the registry could bind it. */
class PortTakenError extends Error {}

async function startOnce(options: RegistryOptions, port: number): Promise<TestRegistry> {
  const binary = requireBinary('docker-registry', process.env.REGRELAY_TEST_REGISTRY_BIN);
  const workDir = await mkdtemp(join(tmpdir(), 'regrelay-registry-'));
  const storageDir = options.storageDir ?? join(workDir, 'storage');
  const instance = randomUUID();
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: 'regrelay-test-upload-state',
      headers: { [INSTANCE_HEADER]: [instance] },
    },
  };
  if (options.users?.length) {
    const htpasswd = join(workDir, 'htpasswd');
    const lines = options.users.map((u) => `${u.username}:${bcrypt.hashSync(u.password, 5)}`);
    await writeFile(htpasswd, lines.join('\n') + '\n');
    config.auth = { htpasswd: { realm: 'regrelay-test', path: htpasswd } };
  }
  if (options.token) {
    config.auth = {
      token: {
        realm: options.token.realm,
        service: options.token.service,
        issuer: options.token.issuer,
        rootcertbundle: options.token.rootCertBundle,
      },
    };
  }
  if (options.notifications) {
    config.notifications = {
      endpoints: [
        {
          name: 'regrelay',
          url: options.notifications.url,
          headers: options.notifications.headers ?? {},
          timeout: '2s',
          threshold: 3,
          backoff: '500ms',
          // 2.8.2 applies ignore.actions only when ignore.mediatypes is non-empty.
          ignore: { mediatypes: ['application/x-regrelay-none'], actions: ['pull'] },
        },
      ],
    };
  }
  const configPath = join(workDir, 'config.yml');
  await writeFile(configPath, stringify(config));
  await chmod(workDir, 0o755);

  const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const output: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output.push(...chunk.split('\n').filter(Boolean));
    if (output.length > 40) output.splice(0, output.length - 40);
  });
  // 'close' comes after the last of stderr, which says why the process exited.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, instance, child, closed, output);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }

  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([
      gone,
      sleep(5000, undefined, { ref: false }).then(() => child.kill('SIGKILL')),
    ]);
    await gone;
  };
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    storageDir,
    pid: child.pid!,
    stop,
    async destroy() {
      await stop();
      await rm(workDir, { recursive: true, force: true });
      if (options.storageDir === undefined) await rm(storageDir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(
  url: string,
  instance: string,
  child: ChildProcess,
  closed: Promise<void>,
  output: string[],
): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await closed;
      const message = `docker-registry exited with ${child.exitCode}:\n${output.join('\n')}`;
      if (output.some((line) => line.includes('address already in use'))) {
        throw new PortTakenError(message);
      }
      throw new Error(message);
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.body?.cancel();
      const ours = response.headers.get(INSTANCE_HEADER) === instance;
      if (ours && (response.status === 200 || response.status === 401)) return;
      // Another process answers on this port: ours will exit with "address already in use".
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`docker-registry did not answer on ${url} within 20 s:\n${output.join('\n')}`);
}
