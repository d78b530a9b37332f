import { describe, expect, it } from '@jest/globals';
import { gateText } from './gate-words';

describe('gate words', () => {
  it('says what each gate asks for', () => {
    expect(gateText({ type: 'approval', required: 2, roles: ['admin'] })).toBe(
      '2 approvals by admin',
    );
    expect(gateText({ type: 'approval', required: 1, expiresAfterSeconds: 3600 })).toBe(
      '1 approval, within 1 h 00 min',
    );
    expect(gateText({ type: 'soak', seconds: 90 })).toBe('soaked 1 min 30 s in the previous stage');
    expect(gateText({ type: 'referrer', artifactType: 'application/spdx+json' })).toBe(
      'a referrer of type application/spdx+json',
    );
    expect(gateText({ type: 'check', url: 'https://qa.example/c', timeoutSeconds: 600 })).toBe(
      'the check at https://qa.example/c answers 2xx (waits up to 10 min 00 s)',
    );
    expect(
      gateText({
        type: 'window',
        cron: '0 9 * * 1-4',
        durationMinutes: 240,
        timeZone: 'Europe/Berlin',
      }),
    ).toBe('inside a promotion window: cron 0 9 * * 1-4, 240 min each (Europe/Berlin)');
    expect(gateText({ type: 'signature', publicKey: 'PEM' })).toBe(
      "a cosign signature that verifies with the stage's key",
    );
    expect(gateText({ type: 'future-gate' })).toBe('future-gate');
  });
});
