import { describe, expect, it } from '@jest/globals';
import {
  generateWebhookSecret,
  sameWebhookSecret,
  WEBHOOK_SECRET_PATTERN,
  webhookSecretFromHeader,
  webhookSecretLookupKey,
} from './webhook-secret.js';

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

  it('compares secrets in constant time and keys lookups by a hash, not the secret', () => {
    expect(sameWebhookSecret('a-secret-of-16-chars', 'a-secret-of-16-chars')).toBe(true);
    expect(sameWebhookSecret('a-secret-of-16-chars', 'a-secret-of-16-charz')).toBe(false);
    expect(sameWebhookSecret('short', 'a-much-longer-secret-value')).toBe(false);
    const key = webhookSecretLookupKey('a-secret-of-16-chars');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('secret');
    expect(webhookSecretLookupKey('a-secret-of-16-chars')).toBe(key);
  });
});
