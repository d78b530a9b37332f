import { session } from '../session';
import type { FieldError } from './types';

/** An answer other than 2xx, with what the API said about it. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** 400: each rejected field and why. */
    readonly errors: FieldError[] = [],
    /** The whole JSON body, for answers with more to say (409 `policies`). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The reasons given for one field (or for fields under it: `destinations[0]`). */
  reasonsFor(field: string): string[] {
    return this.errors
      .filter(
        (e) =>
          e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`),
      )
      .map((e) => e.reason);
  }
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  signal?: AbortSignal;
  /** Sign in: use this token instead of the session's, and do not end a session on 401. */
  token?: string;
}

/** Calls the REST API with the session's token; a 401 ends the session (back to sign-in). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.token ?? session.get()?.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, 'regrelay could not be reached: check the connection and try again');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { message: text.slice(0, 500) };
  }
  if (res.ok) return body as T;
  const error = toApiError(res.status, body);
  if (res.status === 401 && !options.token) {
    session.end('The server no longer accepts this token (revoked or expired). Sign in again.');
  }
  throw error;
}

export function toApiError(status: number, body: Record<string, unknown>): ApiError {
  const message = Array.isArray(body.message)
    ? body.message.join('; ')
    : typeof body.message === 'string'
      ? body.message
      : `HTTP ${status}`;
  const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
  return new ApiError(status, message, errors, body);
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
