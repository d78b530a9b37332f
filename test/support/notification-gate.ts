import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** An event of a delivery regrelay took (answered 2xx). */
export interface TakenEvent {
  action: string;
  repository?: string;
  tag?: string;
  digest?: string;
}

/**
 * Sits between a real registry's notifications and regrelay and can hold them:
 * while held, deliveries wait at the gate (the registry waits for its answer, and
 * retries after its timeout, as it would with a slow endpoint); released, they go
 * on. So two pushes on two registries can both land before regrelay hears of either.
 * Forwards the Authorization and Content-Type headers and hands regrelay's status
 * back, so the registry's own retries decide what happens when regrelay is down.
 */
export interface NotificationGate {
  readonly url: string;
  /** Events of the deliveries regrelay answered with 2xx, in order. */
  readonly taken: TakenEvent[];
  hold(): void;
  release(): void;
  /**
   * Loses every event `keep` does not accept (undefined: loses none), as a registry
   * restarted before delivering its queue does: what is left is forwarded, and a
   * delivery with nothing left is answered 200 without reaching regrelay.
   */
  lose(keep: ((e: TakenEvent) => boolean) | undefined): void;
  /** How many events were lost so far. */
  readonly lost: number;
  /** Waits (bounded) until regrelay has taken an event matching `match`, from `taken[since]` on. */
  waitTaken(
    what: string,
    match: (e: TakenEvent) => boolean,
    options?: { since?: number; timeoutMs?: number },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startNotificationGate(target: string): Promise<NotificationGate> {
  const taken: TakenEvent[] = [];
  let opened: Promise<void> = Promise.resolve();
  let open: (() => void) | undefined;
  let keep: ((e: TakenEvent) => boolean) | undefined;
  let lost = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      let body = await readBody(req);
      await opened;
      if (keep) {
        const kept = keepOnly(body, keep);
        lost += kept.lost;
        if (kept.body === undefined) return void res.writeHead(200).end();
        body = kept.body;
      }
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      let status = 502; // regrelay unreachable: the registry retries
      try {
        const answer = await fetch(target, { method: 'POST', headers, body });
        status = answer.status;
        await answer.body?.cancel();
      } catch {
        // answered 502 below
      }
      if (status >= 200 && status < 300) taken.push(...eventsOf(body));
      if (!res.destroyed) res.writeHead(status).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    taken,
    hold() {
      if (open) return;
      opened = new Promise((resolve) => (open = resolve));
    },
    release() {
      open?.();
      open = undefined;
    },
    lose(accept) {
      keep = accept;
    },
    get lost() {
      return lost;
    },
    async waitTaken(what, match, { since = 0, timeoutMs = 60_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      while (!taken.slice(since).some(match)) {
        if (Date.now() > deadline)
          throw new Error(`regrelay did not take the webhook of ${what} within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async close() {
      open?.();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The envelope with only the events `keep` accepts; body undefined when none is left. */
function keepOnly(body: string, keep: (e: TakenEvent) => boolean): { body?: string; lost: number } {
  try {
    const envelope = JSON.parse(body) as { events?: unknown[] };
    const events = envelope.events ?? [];
    const kept = events.filter((e) => keep(eventOf(e as RawEvent)));
    const lost = events.length - kept.length;
    return kept.length ? { body: JSON.stringify({ ...envelope, events: kept }), lost } : { lost };
  } catch {
    return { body, lost: 0 }; // not an envelope: passed on as it is
  }
}

interface RawEvent {
  action?: string;
  target?: { repository?: string; tag?: string; digest?: string };
}

function eventOf(e: RawEvent): TakenEvent {
  return {
    action: String(e.action),
    repository: e.target?.repository,
    tag: e.target?.tag,
    digest: e.target?.digest,
  };
}

/** What the events of an envelope name; none when the body is not an envelope. */
export function eventsOf(body: string): TakenEvent[] {
  try {
    const envelope = JSON.parse(body) as { events?: RawEvent[] };
    return (envelope.events ?? []).map(eventOf);
  } catch {
    return [];
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
