/**
 * Cuts one byte stream into consecutive bodies of exact lengths (PATCH chunks) without
 * copying more than one source chunk at a time: each `take(n)` yields the next n bytes
 * and keeps any remainder for the next call.
 */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private leftover: Uint8Array | undefined;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async *take(length: number): AsyncGenerator<Uint8Array> {
    let remaining = length;
    while (remaining > 0) {
      let chunk = this.leftover;
      this.leftover = undefined;
      if (!chunk) {
        const next = await this.iterator.next();
        if (next.done) throw new Error(`source ended ${remaining} bytes before the chunk end`);
        chunk = next.value;
      }
      if (chunk.byteLength > remaining) {
        this.leftover = chunk.subarray(remaining);
        chunk = chunk.subarray(0, remaining);
      }
      remaining -= chunk.byteLength;
      if (chunk.byteLength > 0) yield chunk;
    }
  }

  /** Stops the source (closes its connection). */
  async close(): Promise<void> {
    this.leftover = undefined;
    await this.iterator.return?.(undefined);
  }
}
