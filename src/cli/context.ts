import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { Output } from './output.js';

export interface GlobalFlags {
  url: string;
  token?: string;
  json?: boolean;
}

export interface WaitFlags {
  wait?: boolean;
  timeout: string;
  interval: string;
}

/** The API client and the output for a command, from the global flags (or the environment). */
export function context(cmd: Command): { api: ApiClient; out: Output } {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  if (!flags.token) throw new Error('no API token: pass --token or set REGRELAY_TOKEN');
  return {
    api: new ApiClient({ url: flags.url, token: flags.token }),
    out: new Output(!!flags.json),
  };
}

export function waitOptions(flags: WaitFlags): { timeoutSeconds: number; intervalMs: number } {
  const timeoutSeconds = Number(flags.timeout);
  const intervalMs = Number(flags.interval);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)
    throw new Error('--timeout must be seconds (≥ 0)');
  if (!Number.isFinite(intervalMs) || intervalMs < 100)
    throw new Error('--interval must be milliseconds (≥ 100)');
  return { timeoutSeconds, intervalMs };
}

/** Adds --timeout and --interval (and --wait, unless the command always waits). */
export function waitable(cmd: Command, defaultTimeoutSeconds: number, always = false): Command {
  if (!always) cmd.option('--wait', 'wait until it ends (or --timeout)');
  return cmd
    .option('--timeout <seconds>', 'how long to wait', String(defaultTimeoutSeconds))
    .option('--interval <ms>', 'how often to ask', '1000');
}
