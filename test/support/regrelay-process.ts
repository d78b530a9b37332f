import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/common/free-port.js';
import type { ApiCaller } from './replication-api.js';
import { runtimeFlags } from './runtime-flags.js';

const MAIN = join(import.meta.dirname, '../../dist/main.js');

/** regrelay as a real child process (`node [flags] dist/main.js`), as an operator runs it. */
export interface RegrelayProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Polls /health/ready until 200; fails with the output if it exits or times out. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface RegrelayProcessOptions {
  /** Runs `node main.js` through another command (e.g. in its own mount namespace). */
  wrap?: (command: [string, ...string[]]) => [string, ...string[]];
  /**
   * Runs it on a pseudo-terminal (util-linux `script`), as at an operator's shell:
   * stdout and stderr are then one stream, with CRLF line ends.
   */
  terminal?: boolean;
}

/** `main` defaults to this checkout's dist/main.js (benchmarks, compiled elsewhere, pass it). */
export async function startRegrelayProcess(
  env: Record<string, string>,
  main = MAIN,
  options: RegrelayProcessOptions = {},
): Promise<RegrelayProcess> {
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npm run build\` (npm test does)`);
  const port = env.PORT && /^\d+$/.test(env.PORT) ? Number(env.PORT) : await freePort();
  // With the V8 flags of `npm start` and the image: they shape its memory and GC.
  const argv: [string, ...string[]] = [process.execPath, ...runtimeFlags(), main];
  const node = options.wrap?.(argv) ?? argv;
  const [command, ...args]: [string, ...string[]] = options.terminal
    ? ['script', '-qfec', node.map((arg) => `'${arg}'`).join(' '), '/dev/null']
    : node;
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_FORMAT: 'json',
      ...env,
      PORT: env.PORT ?? String(port),
    },
    // `script` stops when its input ends: keep a pipe open instead of /dev/null.
    stdio: [options.terminal ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    child,
    output: () => output,
    exited,
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (exitedYet) throw new Error(`regrelay exited before it was ready:\n${output}`);
        try {
          const res = await fetch(`${url}/health/ready`);
          await res.body?.cancel();
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      throw new Error(`regrelay was not ready within ${timeoutMs} ms:\n${output}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!exitedYet) child.kill(signal);
      return exited;
    },
  };
}

/** The api() helper of the fixtures (replication-api.ts), for a child process and a token. */
export function processCaller(p: Pick<RegrelayProcess, 'url'>, token: string): ApiCaller {
  return {
    api(path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}) {
      const { json, token: given = token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (given !== null) headers.set('authorization', `Bearer ${given}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(p.url + path, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
  };
}
