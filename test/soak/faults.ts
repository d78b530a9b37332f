import type { FaultAction, FaultProxy, FaultRule } from '../support/fault-proxy.js';
import { Random } from './random.js';
import type { Replica, RestartableRegistry, SoakWorld } from './soak-world.js';

const BLOB_UPLOAD = /\/v2\/.+\/blobs\/uploads\//;
const MANIFEST = /\/v2\/.+\/manifests\//;
const BLOB = /\/v2\/.+\/blobs\/sha256:/;
const ANY = /\/v2\/.+\/(blobs|manifests|tags)\//;

/**
 * The faults a soak injects, each from the seeded random source:
 * - at destination A's proxy: 503s and 429s (with Retry-After), connections cut in
 *   the middle of a blob upload, and manifest PUTs cut before the registry sees them
 *   (never after: a PUT the registry applied but whose answer was lost would be
 *   pushed again by the retry, and the push count would blame regrelay for it);
 * - at the source's proxy (the cron policy reads through it): blob downloads cut
 *   part way, 503s and 429s;
 * - destination B stopped and started again at the same address;
 * - the victim replica SIGKILLed (now and then SIGTERMed) and started again.
 */
export class FaultSchedule {
  private readonly timers: Promise<void>[] = [];
  private stopped = false;
  private readonly wakers = new Set<() => void>();
  readonly errors: string[] = [];

  constructor(
    private readonly world: SoakWorld,
    private readonly seed: number,
    private readonly log: (message: string) => void,
  ) {}

  /** Each kind of fault draws from a stream of its own, so timing does not reorder the draws. */
  start(): void {
    const { proxyA, sourceProxy, destinationB, victim } = this.world;
    this.timers.push(
      this.every(1, 3_000, 8_000, (r) => this.proxyFault(proxyA, destinationFault(r))),
      this.every(2, 4_000, 10_000, (r) => this.proxyFault(sourceProxy, sourceFault(r))),
      this.every(3, 20_000, 40_000, (r) => this.restartRegistry(destinationB, r)),
      this.every(4, 25_000, 50_000, (r) => this.bounce(victim, r)),
    );
  }

  /** Stops injecting; waits for a restart under way to complete. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    await Promise.all(this.timers);
    this.world.proxyA.clear();
    this.world.sourceProxy.clear();
  }

  counts(): Record<string, number> {
    const prefixed = (prefix: string, counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix} ${k}`, v]));
    return {
      ...prefixed('destination A', this.world.proxyA.applied()),
      ...prefixed('source', this.world.sourceProxy.applied()),
      'destination B restarts': this.world.destinationB.restarts,
      'replica SIGKILLs': this.world.victim.kills,
      'replica SIGTERMs': this.world.victim.stops,
    };
  }

  private async every(
    stream: number,
    minMs: number,
    maxMs: number,
    act: (random: Random) => Promise<void>,
  ): Promise<void> {
    const random = new Random(this.seed * 31 + stream);
    // Bounded by the soak's duration: stop() ends the wait and the loop.
    for (let round = 0; round < 100_000 && !this.stopped; round++) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, random.int(minMs, maxMs));
        this.wakers.add(wake);
      });
      if (this.stopped) return;
      try {
        await act(random);
      } catch (error) {
        this.errors.push(String(error));
        this.log(`fault injection failed: ${String(error)}`);
      }
    }
  }

  private async proxyFault(proxy: FaultProxy, rule: FaultRule): Promise<void> {
    proxy.add(rule);
    proxy.seen.length = 0; // only the rules matter here; the log of requests would grow
  }

  private async restartRegistry(registry: RestartableRegistry, random: Random): Promise<void> {
    const downMs = random.int(500, 3_000);
    this.log(`destination B down for ${downMs} ms`);
    await registry.restart(downMs);
  }

  private async bounce(replica: Replica, random: Random): Promise<void> {
    const graceful = random.chance(0.25);
    const downMs = random.int(500, 4_000);
    this.log(
      `${graceful ? 'SIGTERM' : 'SIGKILL'} to the ${replica.name} replica, down ${downMs} ms`,
    );
    const code = await replica.process.stop(graceful ? 'SIGTERM' : 'SIGKILL');
    if (graceful) {
      replica.stops++;
      if (code !== 0) throw new Error(`the ${replica.name} replica exited ${code} after SIGTERM`);
    } else replica.kills++;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.world.startReplica(replica);
  }
}

function destinationFault(random: Random): FaultRule {
  const kind = random.weighted({ unavailable: 3, limited: 2, cutUpload: 3, cutManifest: 1 });
  const respond = (status: number, headers?: Record<string, string>): FaultAction => ({
    kind: 'respond',
    status,
    headers,
    body: JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected by the soak' }] }),
  });
  switch (kind) {
    case 'unavailable':
      return { path: ANY, action: respond(503), times: random.int(1, 3) };
    case 'limited':
      return { path: ANY, action: respond(429, { 'retry-after': '1' }), times: random.int(1, 2) };
    case 'cutUpload':
      return {
        path: BLOB_UPLOAD,
        action: { kind: 'drop-request-streaming', afterBytes: random.int(1, 64) * 1024 },
      };
    case 'cutManifest':
      return {
        method: 'PUT',
        path: MANIFEST,
        action: { kind: 'drop-request-buffered', afterBytes: 1 },
      };
  }
}

function sourceFault(random: Random): FaultRule {
  const kind = random.weighted({ cutDownload: 3, unavailable: 2, limited: 1 });
  switch (kind) {
    case 'cutDownload':
      return {
        method: 'GET',
        path: BLOB,
        action: { kind: 'drop-response', afterBytes: random.int(1, 256) * 1024 },
      };
    case 'unavailable':
      return { path: ANY, action: { kind: 'respond', status: 503 }, times: random.int(1, 3) };
    case 'limited':
      return {
        path: ANY,
        action: { kind: 'respond', status: 429, headers: { 'retry-after': '1' } },
      };
  }
}
