import type { BlobSource } from '../../oci/index.js';

export interface SharedReadOptions {
  /** A read can be joined from its start for this long after it began. */
  joinWindowMs: number;
  /** A reader further behind the read than this falls back to a read of its own. */
  laneBufferBytes: number;
  /** Most bytes kept for joiners to replay; a read past it can no longer be joined. */
  replayLimitBytes: number;
  /**
   * How long, in all, the read may wait for a lane that fell `laneBufferBytes` behind
   * before cutting it loose (default 0: at once). Destinations on healthy links drift
   * apart by a few MiB for a moment (a disk flush, a GC pause); waiting that out
   * keeps them on one read, while a lane that keeps lagging soon uses up the grace.
   */
  stallGraceMs?: number;
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

  /**
   * A source for `key` (registry and digest) that joins a shared read when it can.
   * `readers`: how many destinations may ask for this blob; once that many have
   * joined, nobody else will, and the replay memory is freed at once.
   */
  source(key: string, origin: BlobSource, readers = Infinity): BlobSource {
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
        const stream = read.subscribe(signal);
        if (read.joined >= readers) read.closeToJoiners();
        return stream;
      },
    };
  }

  /** Reads that can still be joined (for tests and gauges). */
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
  /** How long the read has waited for this lane so far. */
  heldMs: number;
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
    setTimeout(() => this.closeToJoiners(), options.joinWindowMs).unref();
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

  /** Readers that have subscribed so far. */
  joined = 0;

  /** Nobody else will join: free the replay and forget the read. */
  closeToJoiners(): void {
    this.replay = undefined;
    this.onEnd();
  }

  subscribe(signal: AbortSignal): AsyncIterable<Uint8Array> {
    this.joined++;
    const replayed = [...(this.replay ?? [])];
    const lane: Lane = {
      queue: replayed,
      queued: replayed.reduce((n, c) => n + c.byteLength, 0),
      position: 0,
      detached: false,
      heldMs: 0,
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

  /** Lanes too far behind the fastest one, and out of grace, continue on their own. */
  private cutStragglers(): void {
    const grace = this.options.stallGraceMs ?? 0;
    for (const lane of this.behind()) {
      if (lane.heldMs < grace) continue;
      lane.detached = true;
      lane.queue = [];
      lane.queued = 0;
      lane.wake?.();
    }
  }

  /** Attached lanes more than `laneBufferBytes` behind the fastest attached one. */
  private behind(): Lane[] {
    const attached = [...this.lanes].filter((l) => !l.detached);
    if (attached.length < 2) return [];
    const fastest = Math.min(...attached.map((l) => l.queued));
    return attached.filter((l) => l.queued - fastest > this.options.laneBufferBytes);
  }

  /**
   * Reads ahead only while some attached lane has room (the fastest sets the pace)
   * and no lane is too far behind; a lane too far behind is waited for until its
   * grace is used up, then cut loose.
   */
  private async roomForMore(): Promise<void> {
    const grace = this.options.stallGraceMs ?? 0;
    for (;;) {
      if (this.abort.signal.aborted) return;
      const attached = [...this.lanes].filter((l) => !l.detached);
      const lagging = this.behind();
      if (
        !attached.length ||
        (!lagging.length && attached.some((l) => l.queued < this.options.laneBufferBytes / 2))
      )
        return;
      const graceLeft = lagging.length
        ? Math.max(0, grace - Math.max(...lagging.map((l) => l.heldMs)))
        : undefined;
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const timer = graceLeft === undefined ? undefined : setTimeout(resolve, graceLeft);
        this.roomWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.roomWaiter = undefined;
      const waited = Date.now() - started;
      for (const lane of lagging) lane.heldMs += waited;
      this.cutStragglers();
    }
  }

  private finish(): void {
    this.done = true;
  }
}
