import { describe, expect, it } from '@jest/globals';
import {
  generateWebhookSecret,
  sameWebhookSecret,
  WEBHOOK_SECRET_PATTERN,
  webhookSecretDigest,
  webhookSecretFromHeader,
  webhookSecretLookupKey,
} from './webhook-secret.js';
import { randomBytes } from 'node:crypto';
import { LookupKeys } from '../secrets/lookup-keys.js';

describe('webhook secrets', () => {
  it('generates distinct 256-bit secrets that satisfy the pattern', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^rrwh_[A-Za-z0-9_-]{43}$/);
    expect(WEBHOOK_SECRET_PATTERN.test(a)).toBe(true);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it('reads the secret from "Bearer <secret>" (distribution) or verbatim (Harbor)', () => {
    const secret = 'demo-webhook-secret-hq';
    expect(webhookSecretFromHeader(`Bearer ${secret}`)).toBe(secret);
    expect(webhookSecretFromHeader(`bearer   ${secret} `)).toBe(secret);
    expect(webhookSecretFromHeader(secret)).toBe(secret);
    for (const bad of [
      undefined,
      '',
      'Bearer',
      'Bearer short',
      'Basic dXNlcjpwYXNz x',
      'x'.repeat(257),
    ])
      expect(webhookSecretFromHeader(bad)).toBeUndefined();
  });

  it('compares secrets in constant time', () => {
    expect(sameWebhookSecret('a-secret-of-16-chars', 'a-secret-of-16-chars')).toBe(true);
    expect(sameWebhookSecret('a-secret-of-16-chars', 'a-secret-of-16-charz')).toBe(false);
    expect(sameWebhookSecret('short', 'a-much-longer-secret-value')).toBe(false);
  });

  it('keys lookups with the server key: the same secret gives another value elsewhere', () => {
    const here = new LookupKeys(randomBytes(32));
    const key = webhookSecretLookupKey('a-secret-of-16-chars', here);
    expect(key).toMatch(/^hmac:[0-9a-f]{64}$/);
    expect(webhookSecretLookupKey('a-secret-of-16-chars', here)).toBe(key);
    // Neither the bare digest (what a stolen table let anyone recompute) nor another
    // installation's value.
    expect(key).not.toContain(webhookSecretDigest('a-secret-of-16-chars'));
    expect(
      webhookSecretLookupKey('a-secret-of-16-chars', new LookupKeys(randomBytes(32))),
    ).not.toBe(key);
  });
});
