import type { ApiCaller } from './replication-api.js';

export interface SseEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * Reads an execution's Server-Sent Events to the end of the stream (the server ends
 * it after `execution.finished`) and returns them in order.
 */
export async function readExecutionEvents(t: ApiCaller, executionId: string): Promise<SseEvent[]> {
  const res = await t.api(`/api/v1/executions/${executionId}/events`, {
    headers: { accept: 'text/event-stream' },
  });
  if (res.status !== 200) throw new Error(`expected HTTP 200 for the stream, got ${res.status}`);
  if (!/^text\/event-stream/.test(res.headers.get('content-type') ?? ''))
    throw new Error(`expected an event stream, got ${res.headers.get('content-type')}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
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
  return events;
}
