import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface SeenRequest {
  method: string;
  url: string;
  range?: string;
  /** When the request's head reached the proxy (Date.now(), like the API's timestamps). */
  at: number;
  /** When its first body byte reached the proxy (forwarded requests); unset while none has. */
  firstBodyByteAt?: number;
  /** The registry's status, and when its answer's head came back (forwarded requests). */
  status?: number;
  answeredAt?: number;
}

export type FaultAction =
  /** Answer without asking the registry. */
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string }
  /**
   * Read this many request body bytes, then cut the client off. The registry never
   * sees the request, as behind a proxy that buffers request bodies (nginx does).
   */
  | { kind: 'drop-request-buffered'; afterBytes: number }
  /** Forward this many request body bytes to the registry, then cut both sides. */
  | { kind: 'drop-request-streaming'; afterBytes: number }
  /** Forward the request, then cut the response after this many body bytes. */
  | { kind: 'drop-response'; afterBytes: number }
  /** Hold the request until `until` settles, then forward it (a registry that stalls). */
  | { kind: 'hold'; until: Promise<unknown> };

export interface FaultRule {
  method?: string;
  /** Matches the request path (and query). */
  path: RegExp;
  action: FaultAction;
  /** How many matching requests get the fault (default 1); then it passes. */
  times?: number;
  /** Let this many matching requests through before the fault applies (default 0). */
  skip?: number;
}

/** A reverse proxy in front of a real registry that injects faults by rule. */
export interface FaultProxy {
  url: string;
  host: string;
  /** Every request that reached the proxy, in order. */
  seen: SeenRequest[];
  /** TCP connections clients opened to the proxy since it started (or since clear). */
  readonly connections: number;
  /** Adds a rule; `fired()` says how many requests it has faulted so far. */
  add(rule: FaultRule): { fired(): number };
  /** Faults applied so far, by action kind (kept across clear()). */
  applied(): Record<string, number>;
  /** Drops the rules and the requests seen. */
  clear(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: (FaultRule & { used: number; skipped: number })[] = [];
  const seen: SeenRequest[] = [];
  const applied: Record<string, number> = {};
  let connections = 0;

  const server: Server = createServer((req, res) => {
    const request: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      at: Date.now(),
    };
    seen.push(request);
    const rule = rules.find(
      (r) =>
        (!r.method || r.method === req.method) &&
        r.path.test(req.url ?? '') &&
        r.used < (r.times ?? 1),
    );
    if (rule && rule.skipped < (rule.skip ?? 0)) {
      rule.skipped++;
      return forward(req, res, request);
    }
    if (!rule) return forward(req, res, request);
    rule.used++;
    const action = rule.action;
    applied[action.kind] = (applied[action.kind] ?? 0) + 1;
    switch (action.kind) {
      case 'respond':
        req.resume();
        res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
        return void res.end(action.body ?? '');
      case 'drop-request-buffered': {
        let received = 0;
        req.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= action.afterBytes) req.socket.destroy();
        });
        req.on('end', () => req.socket.destroy());
        return;
      }
      case 'drop-request-streaming':
        return forward(req, res, request, { requestBytes: action.afterBytes });
      case 'drop-response':
        return forward(req, res, request, { responseBytes: action.afterBytes });
      case 'hold': {
        req.pause();
        const go = () => {
          forward(req, res, request);
          req.resume();
        };
        return void action.until.then(go, go);
      }
    }
  });

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    request: SeenRequest,
    cut: { requestBytes?: number; responseBytes?: number } = {},
  ) {
    // Keep the client's Host: distribution builds Location URLs from it.
    const out = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    });
    out.on('response', (up) => {
      request.status = up.statusCode;
      request.answeredAt = Date.now();
      res.writeHead(up.statusCode ?? 502, up.headers);
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        if (cut.responseBytes !== undefined && sent + chunk.length >= cut.responseBytes) {
          res.write(chunk.subarray(0, Math.max(0, cut.responseBytes - sent)));
          up.destroy();
          res.socket?.destroy();
          return;
        }
        sent += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => res.end());
    });
    out.on('error', () => res.socket?.destroy());
    let forwarded = 0;
    req.on('data', (chunk: Buffer) => {
      request.firstBodyByteAt ??= Date.now();
      if (cut.requestBytes !== undefined && forwarded + chunk.length >= cut.requestBytes) {
        out.write(chunk.subarray(0, Math.max(0, cut.requestBytes - forwarded)));
        out.destroy();
        req.socket.destroy();
        return;
      }
      forwarded += chunk.length;
      out.write(chunk);
    });
    req.on('end', () => out.end());
  }

  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    seen,
    get connections() {
      return connections;
    },
    add: (rule) => {
      // Used-up rules only slow the matching of a long-running proxy (the soak's).
      for (let i = rules.length - 1; i >= 0; i--)
        if (rules[i]!.used >= (rules[i]!.times ?? 1)) rules.splice(i, 1);
      const added = { ...rule, used: 0, skipped: 0 };
      rules.push(added);
      return { fired: () => added.used };
    },
    applied: () => ({ ...applied }),
    clear: () => {
      rules.length = 0;
      seen.length = 0;
      connections = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
