import { digestOf, type RegistryClient } from '../../oci/index.js';

/** A small blob's bytes (a signature payload), capped and checked against its digest. */
export async function readSmallBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const stream = await client.getBlob(repository, digest, { signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream.body) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw new Error(`blob ${digest} in ${repository} is larger than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  const bytes = Buffer.concat(chunks);
  if (digestOf(bytes) !== digest)
    throw new Error(`blob ${digest} in ${repository} does not match its digest`);
  return bytes;
}
