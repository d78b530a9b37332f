import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api/client';
import { readEventStream } from '../api/event-stream';
import type { ServerSentEvent } from '../api/sse-parser';

/** A dropped stream is opened again after this, at most this many times. */
const RECONNECT_MS = 2_000;
const MAX_RECONNECTS = 30;

/**
 * Follows an execution's live events (GET /api/v1/executions/:id/events) while
 * `active`. `onChange` runs for every event but heartbeats, at most once a
 * `throttleMs` (the last call always happens), so a page refreshes what it shows from
 * the API instead of keeping its own tally that could drift.
 */
export function useExecutionEvents(
  executionId: string | undefined,
  active: boolean,
  onChange: (event: ServerSentEvent) => void,
  throttleMs = 1_000,
): void {
  const ref = useRef(onChange);
  ref.current = onChange;
  useEffect(() => {
    if (!executionId || !active) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    let latest: ServerSentEvent | undefined;
    const fire = () => {
      timer = undefined;
      last = Date.now();
      if (latest && !controller.signal.aborted) ref.current(latest);
    };
    const onEvent = (event: ServerSentEvent) => {
      if (event.type === 'heartbeat') return;
      latest = event;
      if (event.type === 'execution.finished') {
        if (timer) clearTimeout(timer);
        fire();
        return;
      }
      if (timer) return;
      timer = setTimeout(fire, Math.max(0, throttleMs - (Date.now() - last)));
    };
    void (async () => {
      for (let attempt = 0; attempt <= MAX_RECONNECTS && !controller.signal.aborted; attempt++) {
        try {
          await readEventStream(
            `/api/v1/executions/${executionId}/events`,
            onEvent,
            controller.signal,
          );
          return; // the server ended it: the execution has finished
        } catch (error) {
          if (controller.signal.aborted) return;
          // Gone, or not allowed: trying again will not help.
          if (error instanceof ApiError && error.status >= 400 && error.status < 500) return;
          await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
        }
      }
    })();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [executionId, active, throttleMs]);
}
