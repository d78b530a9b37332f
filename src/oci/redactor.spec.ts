import { describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { Authenticator } from './bearer-auth.js';
import { Redactor } from './redactor.js';

describe('Redactor', () => {
  it('never forgets the credentials, however many tokens come and go', async () => {
    const redactor = new Redactor();
    const dispatcher = new Agent();
    const password = 'p4ssw0rd-of-the-registry';
    new Authenticator({
      registry: 'hq',
      baseUrl: new URL('https://hq.example'),
      credentials: { username: 'relay', password },
      dispatcher,
      redactor,
    });
    // What a long copy does: a new realm token per scope set and refresh.
    for (let i = 0; i < 500; i++) redactor.add(`realm-token-${i}-${'x'.repeat(20)}`);
    const basic = Buffer.from(`relay:${password}`).toString('base64');
    expect(redactor.redact(`denied for ${password}`)).toBe('denied for ***');
    expect(redactor.redact(`Authorization: Basic ${basic}`)).toBe('Authorization: Basic ***');
    // Tokens are bounded: the newest are kept, the oldest forgotten.
    expect(redactor.redact(`realm-token-499-${'x'.repeat(20)}`)).toBe('***');
    expect(redactor.redact(`realm-token-0-${'x'.repeat(20)}`)).toContain('realm-token-0');
    await dispatcher.close();
  });

  it('cuts a password inside a longer secret together with it', () => {
    const redactor = new Redactor();
    redactor.addCredential('secret');
    redactor.add('token-with-secret-inside');
    expect(redactor.redact('got token-with-secret-inside')).toBe('got ***');
  });
});
