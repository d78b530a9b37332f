import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const KEY_HEX = 'a'.repeat(64);

function problems(env: NodeJS.ProcessEnv): { variable: string; reason: string }[] {
  try {
    loadConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({}, '/srv');
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: '/srv/.regrelay',
      logLevel: 'info',
      shutdownTimeoutMs: 30_000,
    });
    expect(config.previousSecretKeys).toEqual([]);
  });

  it('gives the documented limits, timeouts and retention by default', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({
      sseMaxStreams: 200,
      sseMaxStreamsPerToken: 20,
      authFailuresPerMinute: 30,
      trustProxy: 'loopback',
      httpHeadersTimeoutMs: 20_000,
      httpRequestTimeoutMs: 60_000,
      httpKeepAliveTimeoutMs: 5_000,
      registryClientSweepMs: 30_000,
      auditRetentionDays: 365,
    });
  });

  it('reads REGRELAY_TRUST_PROXY as a hop count or a list of names and networks', () => {
    expect(loadConfig({ REGRELAY_TRUST_PROXY: '2' }, '/srv').trustProxy).toBe(2);
    expect(
      loadConfig({ REGRELAY_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }, '/srv').trustProxy,
    ).toBe('loopback, 10.0.0.0/8, fd00::/8');
    expect(problems({ REGRELAY_TRUST_PROXY: 'everyone' })[0]?.variable).toBe(
      'REGRELAY_TRUST_PROXY',
    );
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(
      problems({
        REGRELAY_HTTP_HEADERS_TIMEOUT_SECONDS: '90',
        REGRELAY_HTTP_REQUEST_TIMEOUT_SECONDS: '60',
      }),
    ).toEqual([
      {
        variable: 'REGRELAY_HTTP_HEADERS_TIMEOUT_SECONDS',
        reason: 'must not exceed REGRELAY_HTTP_REQUEST_TIMEOUT_SECONDS (60)',
      },
    ]);
  });

  it('reads the event coalescing window in milliseconds, 0 to 60000, default 1000', () => {
    expect(loadConfig({}, '/srv').eventCoalesceMs).toBe(1000);
    expect(loadConfig({ REGRELAY_EVENT_COALESCE_MS: '0' }, '/srv').eventCoalesceMs).toBe(0);
    expect(problems({ REGRELAY_EVENT_COALESCE_MS: '90000' })).toEqual([
      {
        variable: 'REGRELAY_EVENT_COALESCE_MS',
        reason: 'expected at most 60000 (got "90000")',
      },
    ]);
  });

  it('names PORT and says what it expects when it is not a number', () => {
    expect(problems({ PORT: 'abc' })).toEqual([
      { variable: 'PORT', reason: 'expected an integer from 1 to 65535 (got "abc")' },
    ]);
    expect(problems({ PORT: '70000' })[0]).toMatchObject({
      variable: 'PORT',
      reason: expect.stringMatching(/at most 65535/),
    });
  });

  it('reports every bad variable at once', () => {
    const found = problems({ PORT: 'x', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://h/db' });
    expect(found.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });

  it('never echoes secret values in its messages', () => {
    const found = problems({
      REGRELAY_SECRET_KEY: 'too-short-secret',
      REGRELAY_ADMIN_TOKEN: 'short',
    });
    const text = JSON.stringify(found);
    expect(text).not.toContain('too-short-secret');
    expect(text).not.toContain('"short"');
    expect(found.map((p) => p.variable).sort()).toEqual([
      'REGRELAY_ADMIN_TOKEN',
      'REGRELAY_SECRET_KEY',
    ]);
  });

  it('requires REGRELAY_SECRET_KEY with an external database', () => {
    expect(problems({ DATABASE_URL: 'postgres://u:p@db:5432/regrelay' })[0]?.variable).toBe(
      'REGRELAY_SECRET_KEY',
    );
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/regrelay',
      REGRELAY_SECRET_KEY: KEY_HEX,
    });
    expect(config.secretKey).toEqual(Buffer.alloc(32, 0xaa));
  });

  it('accepts keys in hex and base64, and previous keys as a list', () => {
    const b64 = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({
      REGRELAY_SECRET_KEY: b64,
      REGRELAY_SECRET_KEY_PREVIOUS: `${KEY_HEX}, ${b64}`,
    });
    expect(config.secretKey).toEqual(Buffer.alloc(32, 7));
    expect(config.previousSecretKeys).toHaveLength(2);
    expect(
      problems({ REGRELAY_SECRET_KEY: Buffer.alloc(16).toString('base64') })[0]?.variable,
    ).toBe('REGRELAY_SECRET_KEY');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '' }).port).toBe(8080);
  });

  it('denies link-local and cloud metadata networks by default, and reads both CIDR lists', () => {
    const defaults = loadConfig({}, '/srv');
    expect(defaults.denyNetworks).toEqual(
      expect.arrayContaining([
        '169.254.0.0/16',
        'fe80::/10',
        '100.100.100.200/32',
        'fd00:ec2::254/128',
      ]),
    );
    expect(defaults.allowNetworks).toEqual([]);
    const set = loadConfig({
      REGRELAY_DENY_NETWORKS: '10.0.0.0/8, 127.0.0.2',
      REGRELAY_ALLOW_NETWORKS: '10.1.2.3/32',
    });
    expect(set.denyNetworks).toEqual(['10.0.0.0/8', '127.0.0.2/32']);
    expect(set.allowNetworks).toEqual(['10.1.2.3/32']);
    expect(loadConfig({ REGRELAY_DENY_NETWORKS: 'none' }).denyNetworks).toEqual([]);
  });

  it('names the network variable holding a bad CIDR', () => {
    expect(problems({ REGRELAY_DENY_NETWORKS: '10.0.0.0/8,10.0.0/8' })).toEqual([
      {
        variable: 'REGRELAY_DENY_NETWORKS',
        reason: expect.stringContaining('"10.0.0/8" is not a CIDR'),
      },
    ]);
    expect(problems({ REGRELAY_ALLOW_NETWORKS: 'fd00::/129' })[0]).toMatchObject({
      variable: 'REGRELAY_ALLOW_NETWORKS',
      reason: expect.stringContaining('prefix length outside 0-128'),
    });
  });
});
