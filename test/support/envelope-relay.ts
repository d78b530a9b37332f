import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventsOf, type TakenEvent } from './notification-gate.js';

/** One delivery that passed the relay: the events it carried and the answer it got. */
export interface RelayedDelivery {
  ids: string[];
  /** What the events name, as forwarded. */
  events: TakenEvent[];
  status: number;
  /** When the delivery reached the relay (Date.now(), like the API's timestamps). */
  receivedAt: number;
}

/** Rewrites an envelope on its way (return it unchanged to pass it through). */
export type EnvelopeRewrite = (envelope: { events: Record<string, unknown>[] }) => {
  events: Record<string, unknown>[];
};

/**
 * Sits between a real registry's notifications and regrelay: forwards each envelope
 * (with its Authorization and Content-Type) after `rewrite`, and hands regrelay's
 * status and answer back to the registry, so the registry's own retry behaviour decides what
 * happens next. Records every delivery, so a test sees redeliveries. Without a
 * rewrite the body goes on byte for byte.
 */
export interface EnvelopeRelay {
  readonly url: string;
  readonly deliveries: RelayedDelivery[];
  close(): Promise<void>;
}

export async function startEnvelopeRelay(
  target: string,
  rewrite?: EnvelopeRewrite,
): Promise<EnvelopeRelay> {
  const deliveries: RelayedDelivery[] = [];
  const server: Server = createServer((req, res) => {
    const receivedAt = Date.now();
    void (async () => {
      const text = await readBody(req);
      let body = text;
      let ids: string[] = [];
      try {
        const parsed = JSON.parse(text) as { events: Record<string, unknown>[] };
        const envelope = rewrite ? rewrite(parsed) : parsed;
        ids = envelope.events.map((e) => String(e.id));
        if (rewrite) body = JSON.stringify(envelope);
      } catch {
        // not an envelope: pass it on as is
      }
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      let status = 502; // regrelay unreachable (or gone at the end of a test)
      let answered = '';
      let type: string | null = null;
      try {
        const answer = await fetch(target, { method: 'POST', headers, body });
        status = answer.status;
        type = answer.headers.get('content-type');
        answered = await answer.text();
      } catch {
        // answered 502 below: the registry retries, as it would
      }
      deliveries.push({ ids, events: eventsOf(body), status, receivedAt });
      res.writeHead(status, type ? { 'content-type': type } : {}).end(answered);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    deliveries,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
