import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { SecretBox, SecretUnreadableError } from './secret-box.js';

describe('SecretBox', () => {
  const key = randomBytes(32);

  it('round-trips, and never produces the same ciphertext twice', () => {
    const box = new SecretBox(key);
    const a = box.seal('s3cret-password', 'registry:1:password');
    const b = box.seal('s3cret-password', 'registry:1:password');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(box.open(a, 'registry:1:password')).toBe('s3cret-password');
  });

  it('refuses a value moved to another context', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('pw', 'registry:1:password');
    expect(() => box.open(sealed, 'registry:2:password')).toThrow(SecretUnreadableError);
  });

  it('detects tampering', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('pw');
    const raw = Buffer.from(sealed.split(':')[2]!, 'base64url');
    raw[raw.length - 1]! ^= 1;
    const tampered = sealed.split(':').slice(0, 2).concat(raw.toString('base64url')).join(':');
    expect(() => box.open(tampered)).toThrow(/failed authentication/);
  });

  it('opens values sealed with a previous key, and says which key is missing otherwise', () => {
    const oldKey = randomBytes(32);
    const sealedOld = new SecretBox(oldKey).seal('pw');
    const rotated = new SecretBox(key, [oldKey]);
    expect(rotated.open(sealedOld)).toBe('pw');
    expect(rotated.isStale(sealedOld)).toBe(true);
    expect(rotated.isStale(rotated.seal('pw'))).toBe(false);
    expect(() => new SecretBox(key).open(sealedOld)).toThrow(
      /not configured; was REGRELAY_SECRET_KEY changed/,
    );
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32-byte/);
  });
});
