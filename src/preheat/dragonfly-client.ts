import { Agent, request, type Dispatcher } from 'undici';
import type { CreatePreheatJobRequest, ErrorBody, Job } from './dragonfly-api.js';

/** The manager refused or failed a request; `retryable` when trying again later may work. */
export class DragonflyError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DragonflyError';
  }
}

const TIMEOUT_MS = 30_000;
/** Job bodies are small; a larger answer is not the manager's. */
const MAX_BODY_BYTES = 4 << 20;

/**
 * A client of one Dragonfly manager's open API (see dragonfly-api.ts). No Nest here:
 * requests as data through `send`, HTTP status mapped to DragonflyError in one place.
 * Redirects are not followed, so the token goes to the manager's origin only.
 */
export class DragonflyClient {
  private readonly base: URL;

  constructor(
    url: string,
    private readonly token: string,
    private readonly dispatcher: Dispatcher = sharedAgent,
  ) {
    this.base = new URL(url);
  }

  /** `POST /oapi/v1/jobs`: creates a preheat job; the manager answers with the job. */
  createJob(body: CreatePreheatJobRequest, signal?: AbortSignal): Promise<Job> {
    return this.send<Job>('POST', '/oapi/v1/jobs', body, signal);
  }

  /** `GET /oapi/v1/jobs/{id}`: the job with its state and, once known, its result. */
  getJob(id: number, signal?: AbortSignal): Promise<Job> {
    return this.send<Job>('GET', `/oapi/v1/jobs/${id}`, undefined, signal);
  }

  private async send<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const url = new URL(path, this.base);
    const where = `Dragonfly manager ${this.base.origin} ${method} ${path}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method,
        dispatcher: this.dispatcher,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        signal,
      });
    } catch (error) {
      throw new DragonflyError(`${where}: ${(error as Error).message}`, undefined, true);
    }
    const text = await readText(response, where);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new DragonflyError(
          `${where}: answered ${response.statusCode} with no JSON`,
          response.statusCode,
          true,
        );
      }
    }
    throw new DragonflyError(
      `${where}: ${response.statusCode} ${reasonOf(text)}${hintFor(response.statusCode)}`,
      response.statusCode,
      response.statusCode === 429 || response.statusCode >= 500,
    );
  }
}

const sharedAgent = new Agent({ connect: { timeout: 10_000 }, connections: 8 });

async function readText(response: Dispatcher.ResponseData, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.body.destroy();
      throw new DragonflyError(
        `${where}: answer larger than ${MAX_BODY_BYTES} bytes`,
        response.statusCode,
        false,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as ErrorBody;
    const reason = body.errors ?? body.message ?? body.error;
    if (reason) return reason;
  } catch {
    // not JSON: "rate limit exceeded" and the like
  }
  return text.slice(0, 300) || '(empty answer)';
}

function hintFor(status: number): string {
  if (status === 401)
    return ' (check the registry’s dragonfly.token: a personal access token of this manager)';
  if (status === 403) return ' (the token is inactive, expired, or lacks the `job` scope)';
  return '';
}
