import { Injectable, type MessageEvent } from '@nestjs/common';
import {
  catchError,
  EMPTY,
  defer,
  filter,
  from,
  interval,
  map,
  merge,
  mergeMap,
  Observable,
  takeWhile,
  type ObservableInput,
} from 'rxjs';
import { EventBus } from '../event-bus.js';
import type { ReplicationEvent } from '../replication-events.js';
import { ownerOf } from './execution.entity.js';
import { ExecutionsService } from './executions.service.js';

const HEARTBEAT_MS = 15_000;
/** If a finish event was lost in transit, the database still tells within this. */
const RECHECK_MS = 5_000;

/**
 * An execution's progress as Server-Sent Events: a `snapshot` of the execution
 * first, then task events (`task.started`, `task.progress`, `task.finished`) from
 * every replica, `heartbeat` comments to keep proxies from closing the stream, and
 * `execution.finished`, after which the stream ends.
 */
@Injectable()
export class ExecutionStream {
  constructor(
    private readonly executions: ExecutionsService,
    private readonly bus: EventBus,
  ) {}

  /** Throws NotFound (before any byte is sent) for an unknown execution. */
  async open(executionId: string): Promise<Observable<MessageEvent>> {
    await this.executions.get(executionId);
    // Subscribe to live events before reading the snapshot, so nothing falls between.
    const live = new Observable<ReplicationEvent>((subscriber) =>
      this.bus.events$
        .pipe(filter((e) => 'executionId' in e && e.executionId === executionId))
        .subscribe(subscriber),
    );
    const buffered = bufferUntil(
      live,
      defer(() => this.executions.view(executionId)),
    );
    return buffered.pipe(
      map(({ snapshot, event }) =>
        snapshot ? { type: 'snapshot', data: snapshot } : { type: event!.type, data: event! },
      ),
      (stream) => merge(stream, this.heartbeat(), this.recheck(executionId)),
      takeWhile(
        (message: MessageEvent) =>
          message.type !== 'execution.finished' && !isFinalSnapshot(message),
        true,
      ),
    );
  }

  private heartbeat(): Observable<MessageEvent> {
    return interval(HEARTBEAT_MS).pipe(
      map(() => ({ type: 'heartbeat', data: { at: new Date().toISOString() } })),
    );
  }

  /** Emits a synthetic execution.finished if the database says it ended. */
  private recheck(executionId: string): Observable<MessageEvent> {
    return interval(RECHECK_MS).pipe(
      // A failed look (the database away for a moment) keeps the stream open for the next.
      mergeMap(() => from(this.executions.get(executionId)).pipe(catchError(() => EMPTY))),
      filter((e) => e.status !== 'pending' && e.status !== 'running'),
      map((e) => ({
        type: 'execution.finished',
        data: {
          type: 'execution.finished',
          executionId,
          owner: ownerOf(e),
          status: e.status,
          message: e.message,
        },
      })),
    );
  }
}

function isFinalSnapshot(message: MessageEvent): boolean {
  const status = (message.data as { status?: string }).status;
  return message.type === 'snapshot' && status !== 'pending' && status !== 'running';
}

/**
 * Emits the snapshot first, then events that arrived while it was read, then live
 * events: subscription to `live` starts before the snapshot is requested.
 */
function bufferUntil<T, S>(
  live: Observable<T>,
  snapshot$: ObservableInput<S>,
): Observable<{ snapshot?: S; event?: T }> {
  return new Observable((subscriber) => {
    const pending: T[] = [];
    let ready = false;
    const liveSubscription = live.subscribe({
      next: (event) => (ready ? subscriber.next({ event }) : pending.push(event)),
      error: (error) => subscriber.error(error),
    });
    const snapshotSubscription = from(snapshot$).subscribe({
      next: (snapshot) => {
        subscriber.next({ snapshot });
        for (const event of pending.splice(0)) subscriber.next({ event });
        ready = true;
      },
      error: (error) => subscriber.error(error),
    });
    return () => {
      liveSubscription.unsubscribe();
      snapshotSubscription.unsubscribe();
    };
  });
}
