/**
 * What a blob copy costs the OCI client itself, in CPU per MiB, against bare undici
 * pipes doing the same requests between the same two real distribution registries:
 *
 *   floor          POST, then the source's GET body streamed straight into the PUT
 *   floor + sha256 the same with one generator hashing each chunk on the way
 *   copyBlob       regrelay's copy: healing read, verification, typed errors, retries
 *
 * Only this process's CPU is counted (process.cpuUsage); the registries run in their
 * own processes, so their hashing and disk writes are not in the figures. Variants
 * alternate within each round; the report gives medians and copyBlob's cost over
 * the floor with sha256 (the part of the bulk scenario's gap that the client's stream
 * stages can account for).
 *
 *   npm run bench:blob-cpu
 *   BENCH_BLOB_MIB=64 BENCH_COPIES=16 BENCH_ROUNDS=5 npm run bench:blob-cpu
 */
import { createHash } from 'node:crypto';
import { Pool } from 'undici';
import { forEachConcurrent } from '../src/common/async-pool.js';
import { RegistryClient, copyBlob, generatorSource } from '../src/oci/index.js';
import { startRegistry } from '../test/support/registry.js';
import { seededBytes, seededDigest } from '../test/support/seeded-bytes.js';
import { formatSummary, summarize } from './lib/stats.js';
import { floorBlob } from './runners/floor.js';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_BLOB_MIB ?? 16) * MiB;
const copies = Number(process.env.BENCH_COPIES ?? 32);
const parallel = Number(process.env.BENCH_PARALLEL ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

type Copy = (repository: string) => Promise<void>;

async function main() {
  const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  const pools = [new Pool(a.url, { connections: 16 }), new Pool(b.url, { connections: 16 })];
  const source = new RegistryClient({ name: 'bench-src', url: a.url });
  const destination = new RegistryClient({ name: 'bench-dst', url: b.url });
  try {
    const digest = await seededDigest('blob-cpu', size);
    const descriptor = { digest, size };
    await source.pushBlob(
      'bench/src',
      descriptor,
      generatorSource((offset) => seededBytes('blob-cpu', size, offset)),
    );
    const blob = { repository: 'bench/src', digest, size };
    const floor =
      (hash: boolean): Copy =>
      (repository) =>
        floorBlob(pools[0]!, pools[1]!, b.url, blob, repository, hash ? hashed(digest) : undefined);
    const variants: [string, Copy][] = [
      ['floor', floor(false)],
      ['floor + sha256', floor(true)],
      [
        'copyBlob',
        async (repository) => {
          const result = await copyBlob(source, 'bench/src', destination, repository, descriptor, {
            knownAbsent: true,
          });
          if (result.result !== 'copied') throw new Error(`copyBlob: ${result.result}`);
        },
      ],
    ];
    const perMiB = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    let n = 0;
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order so that no variant always runs first.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const [name, copy] of order) {
        const cpu = await cpuOf(() =>
          forEachConcurrent(
            Array.from({ length: copies }, () => `bench/c${n++}`),
            parallel,
            copy,
          ),
        );
        const msPerMiB = (cpu * 1000) / ((copies * size) / MiB);
        perMiB.get(name)!.push(msPerMiB);
        console.log(`round ${round} ${name.padEnd(15)} ${msPerMiB.toFixed(2)} ms CPU/MiB`);
      }
    }
    const m = (name: string) => summarize(perMiB.get(name)!).median;
    console.log(
      `\n${copies} copies of a ${size / MiB} MiB blob per run, ${parallel} at a time, ${rounds} rounds (median ms of this process's CPU per MiB):`,
    );
    for (const [name] of variants)
      console.log(`  ${name.padEnd(15)} ${formatSummary(summarize(perMiB.get(name)!), 2)}`);
    const stages = m('copyBlob') - m('floor + sha256');
    console.log(
      `  copyBlob over floor + sha256: ${stages.toFixed(2)} ms/MiB ` +
        `(${((stages * 1280) / 1000).toFixed(2)} CPU s per 1.25 GiB, the bulk data set)`,
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all([source.close(), destination.close()]);
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** The body through one generator hashing each chunk; a mismatch fails the copy at its end. */
function hashed(digest: string) {
  return async function* (body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const hasher = createHash('sha256');
    for await (const chunk of body) {
      hasher.update(chunk);
      yield chunk;
    }
    if (`sha256:${hasher.digest('hex')}` !== digest) throw new Error('digest mismatch');
  };
}

/** CPU seconds (user + system) this process spent while `work` ran. */
async function cpuOf(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

await main();
