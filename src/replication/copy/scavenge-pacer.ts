/**
 * Asks V8 for a scavenge (a collection of the young generation only) after every
 * `everyBytes` of blob bytes read from sources.
 *
 * Every chunk a socket delivers is a new ArrayBuffer whose bytes live outside the JS
 * heap. V8 counts them as external memory, and each 64 MiB more of it since the last
 * full collection starts another full one: a mark-compact of the whole heap (≈ 55 MiB
 * in a running regrelay, most of it code and metadata that never dies). A scavenge
 * frees the same buffers — dead once they are hashed and written on — in a few
 * milliseconds, but a copy allocates too little on the heap itself for V8 to scavenge
 * before the external step is reached, unless the young generation is made tiny (which
 * costs a large plan 40% more CPU: docs/operations.md, Memory).
 * Measured on the bulk benchmark (1.25 GiB, 80 blobs): ≈ 27 mark-compacts a copy and a
 * third of the process's CPU without this; none with it, and 5.3–7.5 CPU seconds became
 * ≈ 3.2 (docs/benchmarks.md, round two, sixth part).
 *
 * Needs `--expose-gc` (part of the start command's flags). Without it nothing is done
 * and copies cost what they did before.
 */
export class ScavengePacer {
  private sinceLast = 0;

  constructor(
    private readonly everyBytes: number,
    private readonly scavenge: (() => void) | undefined = exposedScavenge(),
  ) {}

  /** Counts bytes just read; scavenges when `everyBytes` have been read since the last. */
  read(bytes: number): void {
    if (!this.scavenge) return;
    this.sinceLast += bytes;
    if (this.sinceLast < this.everyBytes) return;
    this.sinceLast = 0;
    this.scavenge();
  }
}

/** A synchronous scavenge, when the process was started with `--expose-gc`. */
export function exposedScavenge(): (() => void) | undefined {
  const collect = globalThis.gc;
  return typeof collect === 'function' ? () => collect({ type: 'minor' }) : undefined;
}
