import { describe, expect, it } from '@jest/globals';
import { ScavengePacer } from './scavenge-pacer.js';

describe('ScavengePacer', () => {
  it('scavenges once per step of bytes read, whatever the chunk sizes', () => {
    let scavenges = 0;
    const pacer = new ScavengePacer(100, () => scavenges++);
    for (const bytes of [40, 40, 19]) pacer.read(bytes);
    expect(scavenges).toBe(0);
    pacer.read(1); // 100
    expect(scavenges).toBe(1);
    pacer.read(250); // one step at most per read: the buffers are freed either way
    expect(scavenges).toBe(2);
    pacer.read(99);
    expect(scavenges).toBe(2);
    pacer.read(1);
    expect(scavenges).toBe(3);
  });
});
