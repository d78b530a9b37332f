import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runtimeFlags } from '../support/runtime-flags.js';

const root = join(import.meta.dirname, '../..');

/**
 * regrelay's V8 flags are written in package.json's start script; the image must run
 * with the same, and tests and benchmarks start it with them (regrelay-process.ts).
 */
describe('runtime flags', () => {
  it('give V8 a young generation that does not shrink with the memory limit', () => {
    // Sized from a 512Mi limit it is 1 MiB a semi-space: a 10,000-tag plan took
    // 6.8 CPU seconds instead of 4.9 (docs/operations.md, Memory).
    expect(runtimeFlags()).toContain('--max-semi-space-size=32');
  });

  it('let blob copies ask for scavenges', () => {
    // Without it the read buffers of a copy are freed by full collections of the whole
    // heap: a third of a bulk copy's CPU (src/replication/copy/scavenge-pacer.ts).
    expect(runtimeFlags()).toContain('--expose-gc');
  });

  it('are the ones the image runs with', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile.split(/^FROM /m).pop()!)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', ...runtimeFlags(), 'dist/main.js']);
  });
});
