import type { BlobSource } from '../../oci/index.js';

export interface SharedReadOptions {
  /** A read can be joined from its start for this long after it began. */
  joinWindowMs: number;
  /** A reader further behind the read than this falls back to a read of its own. */
  laneBufferBytes: number;
  /** Most bytes kept for joiners to replay; a read past it can no longer be joined. */
  replayLimitBytes: number;
}

/**
 * Reads a blob from the source once for several destinations. Copies of the same
 * artifact to several destinations run side by side and reach each blob within
 * milliseconds of each other; the first to start a read shares it with those that
 * arrive within `joinWindowMs` (they replay what was read so far from memory, then
 * follow live). A destination that falls more than `laneBufferBytes` behind is cut
 * loose and continues with its own ranged read from where it was, so one slow region
 * never stalls the others and memory stays bounded. A resumed read (offset > 0) is
 * always its own.
 */
export class SharedBlobReads {
  private readonly reads = new Map<string, SharedRead>();

  constructor(private readonly options: SharedReadOptions) {}

  /** A source for `key` (registry and digest) that joins a shared read when it can. */
  source(key: string, origin: BlobSource): BlobSource {
    return {
      open: async (offset, signal) => {
        if (offset > 0) return origin.open(offset, signal);
        let read = this.reads.get(key);
        if (!read?.joinable()) {
          read = new SharedRead(origin, this.options, () => {
            if (this.reads.get(key) === read) this.reads.delete(key);
          });
          this.reads.set(key, read);
        }
        return read.subscribe(signal);
      },
    };
  }

  /** Reads in progress (for tests and gauges). */
  get active(): number {
    return this.reads.size;
  }
}

interface Lane {
  queue: Uint8Array[];
  queued: number;
  /** Bytes handed to this lane's consumer. */
  position: number;
  /** Cut loose: continues with a read of its own. */
  detached: boolean;
  wake?: () => void;
}

class SharedRead {
  private readonly lanes = new Set<Lane>();
  private replay: Uint8Array[] | undefined = [];
  private replayed = 0;
  private readonly started = Date.now();
  private readonly abort = new AbortController();
  private pumping?: Promise<void>;
  private done = false;
  private failure: { error: unknown } | undefined;
  private roomWaiter?: () => void;

  constructor(
    private readonly origin: BlobSource,
    private readonly options: SharedReadOptions,
    private readonly onEnd: () => void,
  ) {
    // After the window nobody joins: free the replay and forget the read.
    setTimeout(() => {
      this.replay = undefined;
      this.onEnd();
    }, options.joinWindowMs).unref();
  }

  /**
   * A read can be joined while its replay is kept: within the window, and complete or
   * still going (small blobs are often read whole before the next destination asks).
   */
  joinable(): boolean {
    return (
      this.replay !== undefined &&
      !this.failure &&
      Date.now() - this.started < this.options.joinWindowMs
    );
  }

  subscribe(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const replayed = [...(this.replay ?? [])];
    const lane: Lane = {
      queue: replayed,
      queued: replayed.reduce((n, c) => n + c.byteLength, 0),
      position: 0,
      detached: false,
    };
    this.lanes.add(lane);
    this.pumping ??= this.pump();
    return this.consume(lane, signal);
  }

  private async *consume(lane: Lane, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const onAbort = () => lane.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        signal.throwIfAborted();
        if (lane.detached) {
          yield* await this.origin.open(lane.position, signal);
          return;
        }
        const chunk = lane.queue.shift();
        if (chunk) {
          lane.queued -= chunk.byteLength;
          lane.position += chunk.byteLength;
          this.roomWaiter?.();
          yield chunk;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.done) return;
        await new Promise<void>((resolve) => (lane.wake = resolve));
        lane.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.leave(lane);
    }
  }

  private leave(lane: Lane): void {
    this.lanes.delete(lane);
    this.roomWaiter?.();
    if (!this.done && ![...this.lanes].some((l) => !l.detached)) {
      // Nobody follows the shared read any more: stop it; what was read is incomplete.
      this.abort.abort(new Error('no readers left'));
      this.replay = undefined;
      this.finish();
    }
  }

  private async pump(): Promise<void> {
    try {
      const stream = await this.origin.open(0, this.abort.signal);
      for await (const chunk of stream) {
        if (this.replay) {
          this.replayed += chunk.byteLength;
          const open =
            Date.now() - this.started < this.options.joinWindowMs &&
            this.replayed <= this.options.replayLimitBytes;
          if (open) this.replay.push(chunk);
          else this.replay = undefined; // late joiners read on their own; free the memory
        }
        for (const lane of this.lanes) {
          if (lane.detached) continue;
          lane.queue.push(chunk);
          lane.queued += chunk.byteLength;
          lane.wake?.();
        }
        this.cutStragglers();
        await this.roomForMore();
        if (this.abort.signal.aborted) break;
      }
    } catch (error) {
      if (!this.abort.signal.aborted) this.failure = { error };
      this.replay = undefined;
    } finally {
      this.finish();
      for (const lane of this.lanes) lane.wake?.();
    }
  }

  /** Lanes too far behind the fastest one continue on their own. */
  private cutStragglers(): void {
    const attached = [...this.lanes].filter((l) => !l.detached);
    if (attached.length < 2) return;
    const fastest = Math.min(...attached.map((l) => l.queued));
    for (const lane of attached) {
      if (lane.queued - fastest > this.options.laneBufferBytes) {
        lane.detached = true;
        lane.queue = [];
        lane.queued = 0;
        lane.wake?.();
      }
    }
  }

  /** Reads ahead only while some attached lane has room: the fastest sets the pace. */
  private async roomForMore(): Promise<void> {
    for (;;) {
      const attached = [...this.lanes].filter((l) => !l.detached);
      if (
        !attached.length ||
        attached.some((l) => l.queued < this.options.laneBufferBytes / 2) ||
        this.abort.signal.aborted
      )
        return;
      await new Promise<void>((resolve) => (this.roomWaiter = resolve));
      this.roomWaiter = undefined;
    }
  }

  private finish(): void {
    this.done = true;
  }
}
