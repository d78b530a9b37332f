import { describe, expect, it } from '@jest/globals';
import { ExecutionEndChecks } from './execution-end-checks.js';

describe('ExecutionEndChecks', () => {
  it('leaves the look to the last attempt of an execution to settle', () => {
    const checks = new ExecutionEndChecks();
    checks.began('e1');
    checks.began('e1');
    checks.began('e1');
    expect(checks.settled('e1', true)).toBe(false);
    expect(checks.settled('e1', true)).toBe(false);
    expect(checks.settled('e1', true)).toBe(true);
  });

  it('owes the look even when the last attempt to settle did not end its task', () => {
    // The first task ended while the second ran; the second lost its lease (another
    // worker finished it, and looked before the first had recorded its outcome).
    const checks = new ExecutionEndChecks();
    checks.began('e1');
    checks.began('e1');
    expect(checks.settled('e1', true)).toBe(false);
    expect(checks.settled('e1', false)).toBe(true);
  });

  it('does not look when no attempt ended its task', () => {
    const checks = new ExecutionEndChecks();
    checks.began('e1');
    checks.began('e1');
    expect(checks.settled('e1', false)).toBe(false);
    expect(checks.settled('e1', false)).toBe(false);
  });

  it('counts each execution apart, and starts afresh once one has settled', () => {
    const checks = new ExecutionEndChecks();
    checks.began('e1');
    checks.began('e2');
    expect(checks.settled('e1', true)).toBe(true);
    checks.began('e1');
    expect(checks.settled('e2', true)).toBe(true);
    expect(checks.settled('e1', false)).toBe(false);
  });
});
