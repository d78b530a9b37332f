import type { ApiCaller } from './replication-api.js';
import { waitFor } from './wait.js';

export interface SseEvent {
  type: string;
  data: Record<string, unknown>;
}

/** An open `GET /api/v1/executions/:id/events` stream, read in the background. */
export interface EventStream {
  readonly status: number;
  readonly headers: Headers;
  /** Events received so far. */
  readonly events: SseEvent[];
  /** The body of a refused request (status ≠ 200). */
  readonly refusal?: unknown;
  /** Resolves when the server ended the stream (or close() was called). */
  readonly ended: Promise<void>;
  isEnded(): boolean;
  /** Waits (bounded) for an event of this type. */
  next(type: string, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens an execution's event stream (with `token`, else the caller's default). */
export async function openEventStream(
  t: ApiCaller,
  executionId: string,
  token?: string,
): Promise<EventStream> {
  const abort = new AbortController();
  const res = await t.api(`/api/v1/executions/${executionId}/events`, {
    token,
    headers: { accept: 'text/event-stream' },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  if (res.status !== 200) {
    const refusal: unknown = await res.json();
    return {
      status: res.status,
      headers: res.headers,
      events,
      refusal,
      ended: Promise.resolve(),
      isEnded: () => true,
      next: () => Promise.reject(new Error(`stream refused with ${res.status}`)),
      close: () => undefined,
    };
  }
  let ended = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    } finally {
      ended = true;
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    ended: reading,
    isEnded: () => ended,
    next: (type, timeoutMs = 15_000) =>
      waitFor(`a ${type} event`, async () => events.find((e) => e.type === type), {
        timeoutMs,
        intervalMs: 50,
      }),
    close: () => abort.abort(),
  };
}

/**
 * Reads an execution's Server-Sent Events to the end of the stream (the server ends
 * it after `execution.finished`) and returns them in order.
 */
export async function readExecutionEvents(t: ApiCaller, executionId: string): Promise<SseEvent[]> {
  const stream = await openEventStream(t, executionId);
  if (stream.status !== 200)
    throw new Error(`expected HTTP 200 for the stream, got ${stream.status}`);
  if (!/^text\/event-stream/.test(stream.headers.get('content-type') ?? ''))
    throw new Error(`expected an event stream, got ${stream.headers.get('content-type')}`);
  await stream.ended;
  return stream.events;
}
