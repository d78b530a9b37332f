import { setTimeout as sleep } from 'node:timers/promises';

/**
 * SQLSTATEs that mean the server went away or cannot take us now, not that the
 * statement was wrong: admin shutdown (a failover's `pg_ctl stop -m fast`), crash
 * shutdown, starting up or shutting down, too many connections, and the whole
 * connection-exception class 08.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** What pg and pg-pool say when a connection ends or cannot be had (they set no code). */
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/**
 * Whether an error means the database could not be reached (an outage to wait out)
 * rather than that a statement failed. Looks through TypeORM's QueryFailedError
 * (`driverError`), `cause` chains and AggregateErrors (one per address tried).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.code === 'string') {
    if (UNAVAILABLE_STATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)) return true;
    if (NETWORK_CODES.has(e.code)) return true;
  }
  if (typeof e.message === 'string' && MESSAGES.some((m) => (e.message as string).includes(m)))
    return true;
  // A transaction's connection that errored while idle (the server terminated it) is
  // released by TypeORM at once; the transaction's next statement then fails with this
  // instead of a connection error.
  if ((error as Error).name === 'QueryRunnerProviderAlreadyReleasedError') return true;
  const nested = [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return nested.some((n) => n !== error && isDatabaseUnavailable(n, depth + 1));
}

/**
 * Waits between attempts while the database is away: 250 ms doubling to 5 s, with
 * jitter so replicas do not knock in step. `reset()` after a success.
 */
export class OutageBackoff {
  private failures = 0;

  constructor(
    private readonly firstMs = 250,
    private readonly capMs = 5_000,
  ) {}

  /** True before the first failure since the last reset: the moment to log "down". */
  get fresh(): boolean {
    return this.failures === 0;
  }

  next(): number {
    const cap = Math.min(this.capMs, this.firstMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}

export interface OutageWaitOptions {
  /** Stops waiting (the last error is thrown): shutdown, a stop, a lease lost. */
  signal?: AbortSignal;
  /** Longest wait in all before the last error is thrown (default one hour). */
  maxWaitMs?: number;
  /** Told once when the wait begins and once when the database answered again. */
  onOutage?: (event: 'waiting' | 'resumed', error?: unknown) => void;
}

/**
 * Runs `operation`; while it fails because the database cannot be reached, waits
 * (OutageBackoff) and runs it again, so work that is done but not yet recorded is
 * recorded once the database is back instead of being lost or crashing the process.
 * Any other error is thrown at once. With `signal` already aborted it tries once.
 * Only for operations that are safe to repeat (each of ours is a guarded statement
 * or a transaction).
 */
export async function whileDatabaseDown<T>(
  operation: () => Promise<T>,
  options: OutageWaitOptions = {},
): Promise<T> {
  const { signal, maxWaitMs = 3_600_000, onOutage } = options;
  const backoff = new OutageBackoff();
  const deadline = Date.now() + maxWaitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await operation();
      if (attempt > 0) onOutage?.('resumed');
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || signal?.aborted) throw error;
      const delay = backoff.next();
      if (Date.now() + delay > deadline) throw error;
      if (attempt === 0) onOutage?.('waiting', error);
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        throw error; // aborted while waiting: the caller gets the database's error
      }
    }
  }
}

/** A logger as Nest's and pino's: an object of fields, then the message. */
interface FieldLogger {
  warn(fields: object, message: string): void;
  log(fields: object, message: string): void;
}

/** `onOutage` that logs the start and end of a wait for `what`, with `fields`. */
export function logOutage(
  logger: FieldLogger,
  what: string,
  fields: object = {},
): NonNullable<OutageWaitOptions['onOutage']> {
  return (event, error) => {
    if (event === 'waiting')
      logger.warn({ ...fields, err: error }, `The database is unreachable; ${what} waits for it`);
    else logger.log(fields, `The database answers again; ${what} resumed`);
  };
}
