import { createHash, type Hash } from 'node:crypto';
import { splitDigest } from './reference.js';

/** `sha256:<hex>` of some bytes (manifests; never whole blobs). */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Thrown by the verifier; the caller turns it into a DigestMismatchError with context. */
export class ContentMismatch extends Error {
  constructor(
    readonly what: 'size' | 'digest',
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${what} mismatch: expected ${expected}, got ${actual}`);
  }
}

/**
 * Hashes and counts a blob while it streams, and refuses to let the last byte through
 * unless size and digest match: the caller's upload then fails before the registry
 * sees a complete body, so nothing wrong is committed.
 *
 * Checkpoints (copies of the hash state at an offset) let a resumed upload continue
 * hashing from where the destination says it is, without rereading from zero.
 */
export class DigestVerifier {
  private hash: Hash;
  private count = 0;
  private checkpoints = new Map<number, Hash>();
  private readonly algorithm: string;

  constructor(
    readonly expectedDigest: string,
    readonly expectedSize: number,
  ) {
    this.algorithm = splitDigest(expectedDigest)[0];
    this.hash = createHash(this.algorithm);
    this.checkpoints.set(0, createHash(this.algorithm));
  }

  get offset(): number {
    return this.count;
  }

  /** Feeds one chunk; throws ContentMismatch as soon as the bytes cannot be right. */
  update(chunk: Uint8Array): void {
    const next = this.count + chunk.byteLength;
    if (next > this.expectedSize) {
      throw new ContentMismatch(
        'size',
        String(this.expectedSize),
        `more than ${this.expectedSize}`,
      );
    }
    this.hash.update(chunk);
    this.count = next;
    if (next === this.expectedSize) {
      const actual = `${this.algorithm}:${this.hash.copy().digest('hex')}`;
      if (actual !== this.expectedDigest) {
        throw new ContentMismatch('digest', this.expectedDigest, actual);
      }
    }
  }

  /** Call when the source ended: a short source is a mismatch too. */
  finish(): void {
    if (this.count !== this.expectedSize) {
      throw new ContentMismatch('size', String(this.expectedSize), String(this.count));
    }
    // Checked again for the empty blob, which never goes through update().
    const actual = `${this.algorithm}:${this.hash.copy().digest('hex')}`;
    if (actual !== this.expectedDigest)
      throw new ContentMismatch('digest', this.expectedDigest, actual);
  }

  /** Remembers the hash state at the current offset (e.g. after a chunk was accepted). */
  checkpoint(): void {
    this.checkpoints.set(this.count, this.hash.copy());
  }

  /**
   * Rewinds to the latest checkpoint at or before `offset` and returns its offset: the
   * source is reopened there and bytes up to `offset` are hashed without being sent.
   */
  rewind(offset: number): number {
    let best = 0;
    for (const at of this.checkpoints.keys()) if (at <= offset && at > best) best = at;
    this.hash = this.checkpoints.get(best)!.copy();
    this.count = best;
    for (const at of [...this.checkpoints.keys()]) if (at > best) this.checkpoints.delete(at);
    return best;
  }
}

/**
 * Passes a source through the verifier. `skip` bytes are hashed but not yielded (they
 * are already at the destination). Source ending short throws before the end.
 */
export async function* verified(
  source: AsyncIterable<Uint8Array>,
  verifier: DigestVerifier,
  skip = 0,
): AsyncGenerator<Uint8Array> {
  let toSkip = skip;
  for await (const chunk of source) {
    verifier.update(chunk);
    if (toSkip >= chunk.byteLength) {
      toSkip -= chunk.byteLength;
      continue;
    }
    yield toSkip > 0 ? chunk.subarray(toSkip) : chunk;
    toSkip = 0;
  }
  verifier.finish();
}
