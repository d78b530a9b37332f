import { describe, expect, it } from '@jest/globals';
import { redactedUrl } from './redacted-url.js';

describe('redactedUrl', () => {
  it('replaces the value of secret query parameters, however spelled', () => {
    expect(redactedUrl('/api/v1/events/acr?secret=rrwh_abc')).toBe(
      '/api/v1/events/acr?secret=[redacted]',
    );
    expect(redactedUrl('/x?a=1&Secret=s1&b=2&secret%5B%5D=s2&SECRET=s3&secret')).toBe(
      '/x?a=1&Secret=[redacted]&b=2&secret%5B%5D=[redacted]&SECRET=[redacted]&secret=[redacted]',
    );
    expect(redactedUrl('/x?%73ecret=s4')).toBe('/x?%73ecret=[redacted]');
  });

  it('leaves other URLs as they are', () => {
    expect(redactedUrl('/api/v1/events/distribution')).toBe('/api/v1/events/distribution');
    expect(redactedUrl('/api/v1/executions?policyId=1&secretive=no')).toBe(
      '/api/v1/executions?policyId=1&secretive=no',
    );
    expect(redactedUrl(undefined)).toBeUndefined();
  });
});
