import { describe, expect, it } from '@jest/globals';
import { auditState } from './audit-redaction.js';

describe('auditState', () => {
  it('redacts secrets by key and by shape, and keeps what only says a secret exists', () => {
    expect(
      auditState({
        name: 'hq',
        password: 'hunter2-hunter2',
        passwordSealed: 'v1:abcd1234:xyz',
        hasPassword: true,
        webhookSecret: 'chosen-webhook-secret',
        nested: [{ token: 'anything' }, { note: 'rr_Ab3dE9xQ_Q2xhcmlmeS1tZS1wbGVhc2U' }],
        when: new Date('2026-12-01T00:00:00Z'),
      }),
    ).toEqual({
      name: 'hq',
      password: '[redacted]',
      passwordSealed: '[redacted]',
      hasPassword: true,
      webhookSecret: '[redacted]',
      nested: [{ token: '[redacted]' }, { note: '[redacted]' }],
      when: '2026-12-01T00:00:00.000Z',
    });
  });

  it('stores a marker instead of a huge state, and null for nothing', () => {
    expect(auditState({ tags: Array.from({ length: 20_000 }, (_, i) => `v${i}`) })).toEqual({
      truncated: true,
      bytes: expect.any(Number),
    });
    expect(auditState(undefined)).toBeNull();
  });
});
