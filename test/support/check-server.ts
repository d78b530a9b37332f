import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a promotion check POSTed. */
export interface CheckCall {
  body: Record<string, unknown>;
}

/**
 * A promotion check endpoint on 127.0.0.1: answers each POST with the next scripted
 * answer (the last one repeats) and records what it was sent.
 */
export interface CheckServer {
  readonly url: string;
  readonly calls: CheckCall[];
  answer(...answers: { status: number; body?: string }[]): void;
  close(): Promise<void>;
}

export async function startCheckServer(): Promise<CheckServer> {
  let answers: { status: number; body?: string }[] = [{ status: 200, body: 'ok' }];
  const calls: CheckCall[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      calls.push({ body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      res.writeHead(next.status, { 'content-type': 'text/plain' }).end(next.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/check`,
    calls,
    answer(...next) {
      answers = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text)).on('error', reject);
  });
}
