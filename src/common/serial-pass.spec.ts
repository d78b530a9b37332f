import { describe, expect, it } from '@jest/globals';
import { SerialPass } from './serial-pass.js';

describe('SerialPass', () => {
  it('runs one pass at a time and coalesces kicks into one more pass', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    let release!: () => void;
    const pass = new SerialPass(
      async () => {
        passes++;
        running++;
        most = Math.max(most, running);
        if (passes === 1) await new Promise<void>((r) => (release = r));
        running--;
      },
      () => undefined,
    );
    pass.kick();
    pass.kick();
    pass.kick();
    release();
    await new Promise((r) => setImmediate(r));
    await pass.stop();
    expect({ passes, most }).toEqual({ passes: 2, most: 1 });
  });

  it('reports a failing pass and keeps going', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const pass = new SerialPass(
      async () => {
        calls++;
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    pass.kick();
    await pass.stop();
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    pass.kick();
    expect(calls).toBe(1); // stopped
  });
});
