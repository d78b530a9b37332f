import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AddressDeniedError,
  AddressPolicy,
  DEFAULT_DENY_NETWORKS,
  RegistryClient,
  type RegistryClientOptions,
} from '../../src/oci/index.js';
import { startLyingRegistry, type LyingRegistry } from '../support/lying-registry.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTokenServer, tokenAuthOf, type TokenServer } from '../support/token-server.js';

/** 127.0.0.2 plays a host in a denied network; 127.0.0.1 an ordinary registry. */
const policy = new AddressPolicy(['127.0.0.2/32']);

async function refusal(
  options: RegistryClientOptions,
  op: (c: RegistryClient) => Promise<unknown>,
) {
  const client = new RegistryClient(options);
  try {
    return await op(client).then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await client.close();
  }
}

describe('AddressPolicy', () => {
  it('denies link-local and cloud metadata addresses by default, naming the rule', () => {
    const defaults = new AddressPolicy(DEFAULT_DENY_NETWORKS);
    expect(defaults.refusal('169.254.169.254')).toBe('169.254.0.0/16');
    expect(defaults.refusal('::ffff:169.254.169.254')).toBe('169.254.0.0/16');
    expect(defaults.refusal('100.100.100.200')).toBe('100.100.100.200/32');
    expect(defaults.refusal('fd00:ec2::254')).toBe('fd00:ec2::254/128');
    expect(defaults.refusal('fe80::1')).toBe('fe80::/10');
    expect(defaults.refusal('127.0.0.1')).toBeUndefined();
    expect(defaults.refusal('10.0.0.5')).toBeUndefined();
  });

  it('checks an address behind the NAT64 prefix against the IPv4 rules', () => {
    const defaults = new AddressPolicy(DEFAULT_DENY_NETWORKS);
    expect(defaults.refusal('64:ff9b::a9fe:a9fe')).toBe('169.254.0.0/16');
    expect(defaults.refusal('64:ff9b::169.254.169.254')).toBe('169.254.0.0/16');
    expect(defaults.refusal('64:ff9b:0:0:0:0:6464:64c8')).toBe('100.100.100.200/32');
    expect(defaults.refusal('64:ff9b::808:808')).toBeUndefined(); // 8.8.8.8
    expect(defaults.refusal('64:ff9c::a9fe:a9fe')).toBeUndefined(); // not the prefix
    const opened = new AddressPolicy(DEFAULT_DENY_NETWORKS, ['169.254.169.254/32']);
    expect(opened.refusal('64:ff9b::a9fe:a9fe')).toBeUndefined();
    expect(opened.refusal('64:ff9b::a9fe:101')).toBe('169.254.0.0/16');
  });

  it('lets an allowed network win over a denied one', () => {
    const p = new AddressPolicy(['127.0.0.0/8'], ['127.0.0.1/32']);
    expect(p.refusal('127.0.0.1')).toBeUndefined();
    expect(p.refusal('127.0.0.3')).toBe('127.0.0.0/8');
  });
});

describe('outbound connections under the address policy', () => {
  let denied: LyingRegistry;
  let registry: LyingRegistry;
  const blob = Buffer.from('bytes the storage would serve');
  const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');

  beforeAll(async () => {
    denied = await startLyingRegistry({ address: '127.0.0.2' });
    denied.route(() => ({ status: 200, body: blob }));
    registry = await startLyingRegistry();
    registry.route((_req, url) =>
      url.pathname === `/v2/app/blobs/${digest}`
        ? { status: 307, headers: { location: `${denied.url}/bucket/blob?sig=x` } }
        : undefined,
    );
  });
  afterAll(async () => {
    await denied?.close();
    await registry?.close();
  });

  it('refuses a registry on a denied address, naming host, address and rule, without connecting', async () => {
    const error = await refusal({ name: 'denied', url: denied.url, addressPolicy: policy }, (c) =>
      c.ping(),
    );
    expect(error).toBeInstanceOf(AddressDeniedError);
    const e = error as AddressDeniedError;
    expect([e.host, e.address, e.rule, e.retryable]).toEqual([
      '127.0.0.2',
      '127.0.0.2',
      '127.0.0.2/32',
      false,
    ]);
    expect(e.message).toMatch(/127\.0\.0\.2.*outbound address policy.*127\.0\.0\.2\/32/);
    expect(denied.connections).toBe(0);
  });

  it('checks the resolved address of a host name, not the name', async () => {
    const port = new URL(registry.url).port;
    const names = new AddressPolicy(['127.0.0.0/8', '::1/128']);
    const error = await refusal(
      { name: 'by-name', url: `http://localhost:${port}`, addressPolicy: names },
      (c) => c.ping(),
    );
    expect(error).toBeInstanceOf(AddressDeniedError);
    expect((error as AddressDeniedError).host).toBe('localhost');
    expect(['127.0.0.1', '::1']).toContain((error as AddressDeniedError).address);
  });

  it('refuses a redirect to a denied address, while the registry itself is reached', async () => {
    const error = await refusal(
      { name: 'redirecting', url: registry.url, addressPolicy: policy },
      (c) => c.getBlob('app', digest),
    );
    expect(error).toBeInstanceOf(AddressDeniedError);
    expect((error as AddressDeniedError).address).toBe('127.0.0.2');
    expect(registry.log.some((l) => l.path === `/v2/app/blobs/${digest}`)).toBe(true);
    expect(denied.connections).toBe(0);
  });

  it('reaches the same registry when its address is allowed', async () => {
    const open = new AddressPolicy(['127.0.0.2/32'], ['127.0.0.2/32']);
    const client = new RegistryClient({ name: 'allowed', url: denied.url, addressPolicy: open });
    try {
      await client.ping();
      expect(denied.connections).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('refuses the metadata address under the default policy', async () => {
    const error = await refusal(
      {
        name: 'metadata',
        url: 'http://169.254.169.254',
        addressPolicy: new AddressPolicy(DEFAULT_DENY_NETWORKS),
      },
      (c) => c.ping(),
    );
    expect(error).toBeInstanceOf(AddressDeniedError);
    expect((error as AddressDeniedError).rule).toBe('169.254.0.0/16');
  });
});

describe('a token realm on a denied address', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: [], address: '127.0.0.2' });
    registry = await startRegistry({ token: tokenAuthOf(tokens) });
  });
  afterAll(async () => {
    await registry?.destroy();
    await tokens?.close();
  });

  it('is refused (the registry on 127.0.0.1 is reached)', async () => {
    const error = await refusal({ name: 'realm', url: registry.url, addressPolicy: policy }, (c) =>
      c.listTags('public/app'),
    );
    expect(error).toBeInstanceOf(AddressDeniedError);
    expect((error as AddressDeniedError).address).toBe('127.0.0.2');
    expect(tokens.connections).toBe(0);
  });
});
