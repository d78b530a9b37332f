import { createCipheriv, createHash } from 'node:crypto';

/**
 * Incompressible, reproducible bytes: AES-128-CTR over zeros, keyed by a seed. CTR can
 * start at any offset, so the same blob can be produced twice (once to hash, once to
 * send) or reopened mid-way, without ever being held in memory.
 */
export async function* seededBytes(
  seed: string,
  size: number,
  offset = 0,
  chunkSize = 256 * 1024,
): AsyncGenerator<Uint8Array> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const block = Math.floor(offset / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(block), 8);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const zeros = Buffer.alloc(chunkSize);
  let skip = offset % 16;
  let position = offset - skip;
  while (position < size) {
    const length = Math.min(chunkSize, size - position);
    let out = cipher.update(zeros.subarray(0, length));
    position += length;
    if (skip) {
      out = out.subarray(skip);
      skip = 0;
    }
    yield out;
  }
}

/** sha256 digest of a seeded blob, computed by streaming it once. */
export async function seededDigest(seed: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of seededBytes(seed, size)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
