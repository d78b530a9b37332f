import type { TestApp } from './test-app.js';
import { waitFor } from './wait.js';

export interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
}

/** An open `GET /api/v1/executions/:id/events` stream, read in the background. */
export interface EventStream {
  readonly status: number;
  readonly headers: Headers;
  /** Events received so far (comments and heartbeats included). */
  readonly events: StreamEvent[];
  /** The body of a refused request (status ≠ 200). */
  readonly refusal?: unknown;
  /** Resolves when the server ended the stream (or close() was called). */
  readonly ended: Promise<void>;
  /** True once the stream has ended. */
  isEnded(): boolean;
  /** Waits (bounded) for an event of this type. */
  next(type: string, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

export async function openEventStream(
  t: Pick<TestApp, 'api'>,
  executionId: string,
  token?: string,
): Promise<EventStream> {
  const abort = new AbortController();
  const res = await t.api(`/api/v1/executions/${executionId}/events`, {
    token,
    headers: { accept: 'text/event-stream' },
    signal: abort.signal,
  });
  const events: StreamEvent[] = [];
  if (res.status !== 200) {
    const refusal = await res.json();
    const done = Promise.resolve();
    return {
      status: res.status,
      headers: res.headers,
      events,
      refusal,
      ended: done,
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
