import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { BlobSource } from '../../oci/index.js';
import { SharedBlobReads, type SharedReadOptions } from './shared-blob-reads.js';

const CHUNK = 64 * 1024;

/** A source of `size` deterministic bytes in 64 KiB chunks that records its opens. */
function recordingSource(size: number) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  const opens: number[] = [];
  const read = { bytes: 0, closed: 0 };
  const source: BlobSource = {
    async open(offset) {
      opens.push(offset);
      return (async function* () {
        try {
          for (let at = offset; at < size; at += CHUNK) {
            await sleep(0);
            const chunk = bytes.subarray(at, Math.min(size, at + CHUNK));
            read.bytes += chunk.byteLength;
            yield chunk;
          }
        } finally {
          read.closed++;
        }
      })();
    },
  };
  return { source, opens, read, sha: createHash('sha256').update(bytes).digest('hex') };
}

async function drain(stream: AsyncIterable<Uint8Array>, pauseEveryChunkMs = 0): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) {
    hash.update(chunk);
    if (pauseEveryChunkMs) await sleep(pauseEveryChunkMs);
  }
  return hash.digest('hex');
}

/** Reads with the usual test settings, some overridden. */
function sharedReads(options: Partial<SharedReadOptions> = {}) {
  return new SharedBlobReads({
    joinWindowMs: 1000,
    laneBufferBytes: 8 << 20,
    replayLimitBytes: 64 << 20,
    ...options,
  });
}

/** `n` destinations opening the same blob at the same moment. */
function openTogether(source: BlobSource, n: number, signal: AbortSignal) {
  return Promise.all(Array.from({ length: n }, () => source.open(0, signal)));
}

describe('SharedBlobReads', () => {
  it('reads once for destinations that start together, and each gets every byte', async () => {
    const { source, opens, read, sha } = recordingSource(4 * 1024 * 1024);
    const shared = sharedReads();
    const signal = new AbortController().signal;
    const streams = await openTogether(shared.source('r|sha256:x', source), 3, signal);
    expect(await Promise.all(streams.map((s) => drain(s)))).toEqual([sha, sha, sha]);
    expect(opens).toEqual([0]);
    expect(read.bytes).toBe(4 * 1024 * 1024);
  });

  it('lets a joiner within the window replay from memory', async () => {
    const { source, opens, sha } = recordingSource(1024 * 1024);
    const shared = sharedReads({ joinWindowMs: 10_000 });
    const signal = new AbortController().signal;
    const first = await shared.source('k', source).open(0, signal);
    const iterator = first[Symbol.asyncIterator]();
    await iterator.next(); // the shared read is under way
    await iterator.next();
    const late = await shared.source('k', source).open(0, signal);
    const lateSha = drain(late);
    const rest = drain({ [Symbol.asyncIterator]: () => iterator });
    expect(await lateSha).toBe(sha);
    await rest;
    expect(opens).toEqual([0]);
  });

  it('cuts a slow destination loose to read on its own, without stalling the others', async () => {
    const size = 2 * 1024 * 1024;
    const { source, opens, sha } = recordingSource(size);
    const shared = sharedReads({ laneBufferBytes: 256 * 1024 });
    const signal = new AbortController().signal;
    const [fast, slow] = await openTogether(shared.source('k', source), 2, signal);
    const [fastSha, slowSha] = await Promise.all([drain(fast!), drain(slow!, 5)]);
    expect(fastSha).toBe(sha);
    expect(slowSha).toBe(sha);
    // The slow one reopened the source at the byte it had reached.
    expect(opens[0]).toBe(0);
    expect(opens.length).toBe(2);
    expect(opens[1]).toBeGreaterThan(0);
    expect(opens[1]).toBeLessThan(size);
  });

  it('waits for a destination that falls behind for a moment, within its grace', async () => {
    const size = 2 * 1024 * 1024;
    const { source, opens, sha } = recordingSource(size);
    const shared = sharedReads({ laneBufferBytes: 256 * 1024, stallGraceMs: 10_000 });
    const signal = new AbortController().signal;
    const [fast, hiccup] = await openTogether(shared.source('k', source), 2, signal);
    // One pause far longer than it takes the other to run the buffer ahead.
    const pauseOnce = async function* (stream: AsyncIterable<Uint8Array>) {
      let n = 0;
      for await (const chunk of stream) {
        if (++n === 4) await sleep(200);
        yield chunk;
      }
    };
    expect(await Promise.all([drain(fast!), drain(pauseOnce(hiccup!))])).toEqual([sha, sha]);
    expect(opens).toEqual([0]);
  });

  it('still cuts a destination that keeps lagging once its grace is used up', async () => {
    const size = 2 * 1024 * 1024;
    const { source, opens, sha } = recordingSource(size);
    const shared = sharedReads({ laneBufferBytes: 256 * 1024, stallGraceMs: 50 });
    const signal = new AbortController().signal;
    const [fast, slow] = await openTogether(shared.source('k', source), 2, signal);
    expect(await Promise.all([drain(fast!), drain(slow!, 5)])).toEqual([sha, sha]);
    expect(opens).toHaveLength(2);
    expect(opens[1]).toBeGreaterThan(0);
  });

  it('frees the replay as soon as every expected destination has joined', async () => {
    const { source, opens, sha } = recordingSource(256 * 1024);
    const shared = sharedReads({ joinWindowMs: 10_000 });
    const signal = new AbortController().signal;
    const pair = await openTogether(shared.source('k', source, 2), 2, signal);
    expect(shared.active).toBe(0); // both destinations are in: nothing kept for a third
    expect(await Promise.all(pair.map((s) => drain(s)))).toEqual([sha, sha]);
    await drain(await shared.source('k', source, 2).open(0, signal));
    expect(opens).toEqual([0, 0]);
  });

  it('gives a late joiner (after the window) and a resumed read a read of their own', async () => {
    const { source, opens } = recordingSource(256 * 1024);
    const shared = sharedReads({ joinWindowMs: 0 });
    const signal = new AbortController().signal;
    const a = await shared.source('k', source).open(0, signal);
    const b = await shared.source('k', source).open(0, signal);
    const c = await shared.source('k', source).open(128 * 1024, signal);
    await Promise.all([drain(a), drain(b), drain(c)]);
    expect(opens.sort((x, y) => x - y)).toEqual([0, 0, 128 * 1024]);
  });

  it('lets a destination that asks after a small blob was read whole replay it', async () => {
    const { source, opens, sha } = recordingSource(100 * 1024);
    const shared = sharedReads({ joinWindowMs: 10_000 });
    const signal = new AbortController().signal;
    expect(await drain(await shared.source('k', source).open(0, signal))).toBe(sha);
    expect(await drain(await shared.source('k', source).open(0, signal))).toBe(sha);
    expect(opens).toEqual([0]);
  });

  it('stops reading the source when every reader is aborted', async () => {
    const { source, read } = recordingSource(64 * 1024 * 1024);
    const shared = sharedReads({ laneBufferBytes: 1 << 20 });
    const controller = new AbortController();
    const stream = await shared.source('k', source).open(0, controller.signal);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort(new Error('stopped'));
    await expect(iterator.next()).rejects.toThrow('stopped');
    for (let i = 0; i < 100 && read.closed === 0; i++) await sleep(10);
    expect(read.closed).toBe(1);
    expect(read.bytes).toBeLessThan(64 * 1024 * 1024);
  });
});
