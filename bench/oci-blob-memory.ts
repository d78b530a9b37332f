/**
 * Copies a 1 GiB blob between two real distribution registries with copyBlob and
 * samples the process RSS while it runs. The claim under test: the client streams,
 * so RSS growth stays far below the blob size (target: under 64 MiB).
 *
 *   npm run bench:oci-memory            # 1 GiB
 *   BENCH_BLOB_MIB=256 npm run bench:oci-memory
 */
import { RegistryClient, copyBlob, generatorSource } from '../src/oci/index.js';
import { startRegistry } from '../test/support/registry.js';
import { seededBytes, seededDigest } from '../test/support/seeded-bytes.js';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_BLOB_MIB ?? 1024) * MiB;
const rss = () => process.memoryUsage().rss;

async function main() {
  const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  const src = new RegistryClient({ name: 'bench-src', url: a.url });
  const dst = new RegistryClient({ name: 'bench-dst', url: b.url });
  try {
    console.log(`blob: ${size / MiB} MiB, seeded (incompressible)`);
    const digest = await seededDigest('bench', size);
    const descriptor = { digest, size };
    const pushStarted = performance.now();
    await src.pushBlob(
      'bench/src',
      descriptor,
      generatorSource((offset) => seededBytes('bench', size, offset)),
    );
    console.log(`pushed to source in ${((performance.now() - pushStarted) / 1000).toFixed(1)} s`);

    global.gc?.();
    const idle = rss();
    let peak = idle;
    const timer = setInterval(() => (peak = Math.max(peak, rss())), 50);
    const started = performance.now();
    let moved = 0;
    const result = await copyBlob(src, 'bench/src', dst, 'bench/dst', descriptor, {
      onProgress: (n) => (moved += n),
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, rss());

    const check = await dst.headBlob('bench/dst', digest);
    if (result.result !== 'copied' || check?.size !== size)
      throw new Error(`copy failed: ${JSON.stringify(result)}`);
    const fmt = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.log(
      `copy: ${result.result}, ${fmt(moved)} in ${seconds.toFixed(1)} s = ${(size / MiB / seconds).toFixed(0)} MiB/s`,
    );
    console.log(`RSS idle ${fmt(idle)}, peak ${fmt(peak)}, growth ${fmt(peak - idle)}`);
    console.log(
      `chunked upload: threshold ${src.chunkThresholdBytes / MiB} MiB, chunk ${src.chunkSizeBytes / MiB} MiB`,
    );
    if (peak - idle > 64 * MiB) {
      console.error('FAIL: RSS grew by more than 64 MiB');
      process.exitCode = 1;
    }
  } finally {
    await Promise.all([src.close(), dst.close()]);
    await Promise.all([a.destroy(), b.destroy()]);
  }
}

await main();
