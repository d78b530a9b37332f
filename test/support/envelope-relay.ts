import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One delivery that passed the relay: the event ids it carried and the answer it got. */
export interface RelayedDelivery {
  ids: string[];
  status: number;
}

/** Rewrites an envelope on its way (return it unchanged to pass it through). */
export type EnvelopeRewrite = (envelope: { events: Record<string, unknown>[] }) => {
  events: Record<string, unknown>[];
};

/**
 * Sits between a real registry's notifications and regrelay: forwards each envelope
 * (with its Authorization and Content-Type) after `rewrite`, and hands regrelay's
 * status back to the registry, so the registry's own retry behaviour decides what
 * happens next. Records every delivery, so a test sees redeliveries.
 */
export interface EnvelopeRelay {
  readonly url: string;
  readonly deliveries: RelayedDelivery[];
  close(): Promise<void>;
}

export async function startEnvelopeRelay(
  target: string,
  rewrite: EnvelopeRewrite,
): Promise<EnvelopeRelay> {
  const deliveries: RelayedDelivery[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      let body = text;
      let ids: string[] = [];
      try {
        const envelope = rewrite(JSON.parse(text) as { events: Record<string, unknown>[] });
        ids = envelope.events.map((e) => String(e.id));
        body = JSON.stringify(envelope);
      } catch {
        // not an envelope: pass it on as is
      }
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      let status = 502; // regrelay unreachable (or gone at the end of a test)
      try {
        const answer = await fetch(target, { method: 'POST', headers, body });
        status = answer.status;
        await answer.body?.cancel();
      } catch {
        // answered 502 below: the registry retries, as it would
      }
      deliveries.push({ ids, status });
      res.writeHead(status).end();
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
