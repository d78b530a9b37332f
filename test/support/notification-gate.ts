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
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      await opened;
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

function eventsOf(body: string): TakenEvent[] {
  try {
    const envelope = JSON.parse(body) as {
      events?: {
        action?: string;
        target?: { repository?: string; tag?: string; digest?: string };
      }[];
    };
    return (envelope.events ?? []).map((e) => ({
      action: String(e.action),
      repository: e.target?.repository,
      tag: e.target?.tag,
      digest: e.target?.digest,
    }));
  } catch {
    return [];
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
