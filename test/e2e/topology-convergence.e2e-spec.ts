import { describe, expect, it } from '@jest/globals';
import { runSeed } from '../support/fuzz-driver.js';
import { createTestDatabase } from '../support/test-database.js';

/**
 * The convergence proof, a few seeds of it (`npm run fuzz -- --seeds 200` runs many):
 * random pushes, retags, digest deletes, simultaneous conflicting pushes, registries
 * stopped, regrelay SIGKILLed and connections cut, over a 1 → 2 → 4 tree and two
 * dual-master pairs; then every registry must hold exactly what the model says, the
 * conflicts listed must be the model's, and nothing may move for a while after.
 */
const SEEDS = (process.env.REGRELAY_FUZZ_SEEDS ?? '1,2,3').split(',').map(Number);
const STEPS = Number(process.env.REGRELAY_FUZZ_STEPS ?? 8);
const QUIET_MS = Number(process.env.REGRELAY_TEST_QUIET_MS ?? 10_000);

describe('topologies converge under random operations and faults (model-based fuzz)', () => {
  for (const seed of SEEDS) {
    it(
      `seed ${seed}: every node as modelled, the conflicts as modelled, then quiet`,
      async () => {
        const database = await createTestDatabase();
        try {
          const result = await runSeed({
            seed,
            steps: STEPS,
            quietMs: QUIET_MS,
            databaseUrl: database.url,
          });
          // The report holds the seed's plan, what happened, and regrelay's last lines.
          if (!result.ok) throw new Error(result.report);
          expect(result.ok).toBe(true);
        } finally {
          await database.drop();
        }
      },
      20 * 60_000,
    );
  }
});
