import { session } from '../session';
import { SseParser, type ServerSentEvent } from './sse-parser';
import { toApiError } from './client';

/**
 * Reads a Server-Sent Events route with fetch, so the token travels in the
 * Authorization header (EventSource cannot send one, and a long-lived token does not
 * belong in a URL). Resolves when the server ends the stream; rejects on failure.
 */
export async function readEventStream(
  path: string,
  onEvent: (event: ServerSentEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const token = session.get()?.token;
  const res = await fetch(path, {
    headers: {
      accept: 'text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    signal,
    cache: 'no-store',
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status === 401) session.end('The server no longer accepts this token. Sign in again.');
    throw toApiError(res.status, body);
  }
  const parser = new SseParser(onEvent);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  } finally {
    reader.releaseLock();
  }
}
