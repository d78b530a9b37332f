import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One distribution notification event (the fields tests look at). */
export interface RegistryEvent {
  id: string;
  action: string;
  target: { mediaType?: string; digest?: string; repository?: string; tag?: string };
}

/**
 * An HTTP endpoint on loopback collecting distribution's notification envelopes, so
 * a test can see what a registry was actually asked to do.
 */
export class NotificationSink {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly events: RegistryEvent[],
  ) {}

  static async start(): Promise<NotificationSink> {
    const events: RegistryEvent[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            events?: RegistryEvent[];
          };
          events.push(...(body.events ?? []));
        } catch {
          // not an envelope: ignore
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    return new NotificationSink(server, url, events);
  }

  /** Manifest pushes by tag, as `repository:tag`, one entry per push. */
  tagPushes(): string[] {
    return this.events
      .filter((e) => e.action === 'push' && e.target.tag)
      .map((e) => `${e.target.repository}:${e.target.tag}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
