import { CliExit, EXIT } from './exit-codes.js';

/** How the CLI reaches regrelay: the REST API only. */
export interface Connection {
  url: string;
  token: string;
}

/**
 * A small client for regrelay's REST API. Answers other than 2xx become CliExit:
 * 409 (a rule said no) exits 2, anything else 1, with the server's message.
 */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const url = new URL(`/api/v1${path}`, this.connection.url);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new CliExit(
        EXIT.error,
        `cannot reach regrelay at ${this.connection.url}: ${(error as Error).message}`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { message: text };
    }
    if (res.ok) return { status: res.status, body: parsed as T };
    const message = (parsed as { message?: unknown } | undefined)?.message;
    const said = Array.isArray(message) ? message.join('; ') : String(message ?? res.statusText);
    throw new CliExit(
      res.status === 409 ? EXIT.refused : EXIT.error,
      `${method} ${url.pathname}: ${res.status} ${said}`,
      parsed,
    );
  }

  /** A pipeline by id or name. */
  async pipelineId(nameOrId: string): Promise<string> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nameOrId))
      return nameOrId;
    const { body } = await this.call<{ id: string; name: string }[]>('GET', '/pipelines');
    const found = body.find((p) => p.name === nameOrId);
    if (!found)
      throw new CliExit(
        EXIT.error,
        `no pipeline named ${nameOrId} (pipelines: ${body.map((p) => p.name).join(', ') || 'none'})`,
      );
    return found.id;
  }
}
