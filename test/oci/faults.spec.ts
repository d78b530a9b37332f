import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  RateLimitedError,
  RegistryClient,
  TransientError,
  copyBlob,
  type RetryEvent,
} from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const CHUNK = 128 * 1024;
const SIZE = 4 * CHUNK + 1000; // five PATCHes

describe('faults between the client and real registries', () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let srcProxy: FaultProxy;
  let dstProxy: FaultProxy;
  let direct: RegistryClient;
  let src: RegistryClient;
  let dst: RegistryClient;
  const retries: RetryEvent[] = [];
  let seq = 0;

  const fast = { retries: 4, minDelayMs: 20, maxDelayMs: 200 };
  const observer = { onRetry: (e: RetryEvent) => retries.push(e) };

  beforeAll(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    [srcProxy, dstProxy] = await Promise.all([startFaultProxy(a.url), startFaultProxy(b.url)]);
    direct = new RegistryClient({ name: 'a-direct', url: a.url });
    src = new RegistryClient({ name: 'a', url: srcProxy.url, retry: fast, observer });
    dst = new RegistryClient({
      name: 'b',
      url: dstProxy.url,
      retry: fast,
      observer,
      chunkThresholdBytes: CHUNK,
      chunkSizeBytes: CHUNK,
    });
  });
  afterAll(async () => {
    await Promise.all([direct?.close(), src?.close(), dst?.close()]);
    await Promise.all([srcProxy?.close(), dstProxy?.close()]);
    await Promise.all([a?.destroy(), b?.destroy()]);
  });
  beforeEach(() => {
    srcProxy.clear();
    dstProxy.clear();
    retries.length = 0;
  });

  /** A fresh layer in the source registry, pushed around the proxies. */
  async function layer(size = SIZE) {
    const image = await new ImageBuilder(direct).image('faults/src', {
      layers: [{ seed: `f${seq++}`, size }],
    });
    return image.blobs[1]!;
  }

  it('resumes an upload from the registry Range after the connection drops mid-chunk', async () => {
    const blob = await layer();
    // The third PATCH is cut halfway; a buffering proxy means the registry never saw it.
    dstProxy.add({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      skip: 2,
      action: { kind: 'drop-request-buffered', afterBytes: CHUNK / 2 },
    });
    const result = await copyBlob(src, 'faults/src', dst, 'faults/dst', blob);
    expect(result.result).toBe('copied');
    if (result.result !== 'copied') return;
    expect(result.resumes).toBe(1);
    // Resumed, not restarted: only the cut chunk went twice.
    expect(result.bytes).toBe(blob.size);
    const statusQueries = dstProxy.seen.filter(
      (r) => r.method === 'GET' && r.url.includes('/blobs/uploads/'),
    );
    expect(statusQueries.length).toBe(1);
    expect(await dst.headBlob('faults/dst', blob.digest)).toEqual({
      digest: blob.digest,
      size: blob.size,
    });
  });

  it('restarts the session when the registry invalidated it (partial chunk written)', async () => {
    const blob = await layer();
    // Streaming proxy: distribution writes half a chunk, then refuses the stale session.
    dstProxy.add({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      skip: 1,
      action: { kind: 'drop-request-streaming', afterBytes: CHUNK / 2 },
    });
    const result = await copyBlob(src, 'faults/src', dst, 'faults/dst2', blob);
    expect(result.result).toBe('copied');
    expect(dstProxy.seen.filter((r) => r.method === 'POST').length).toBe(2);
    expect(await dst.headBlob('faults/dst2', blob.digest)).toEqual({
      digest: blob.digest,
      size: blob.size,
    });
  });

  it('resumes a download by reopening the source at the offset reached', async () => {
    const blob = await layer();
    srcProxy.add({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      action: { kind: 'drop-response', afterBytes: Math.floor(SIZE / 2) },
    });
    const result = await copyBlob(src, 'faults/src', dst, 'faults/dst3', blob);
    expect(result.result).toBe('copied');
    const gets = srcProxy.seen.filter(
      (r) => r.method === 'GET' && r.url.includes('/blobs/sha256:'),
    );
    expect(gets.length).toBe(2);
    const reopenedAt = Number(/bytes=(\d+)-/.exec(gets[1]!.range ?? '')?.[1]);
    expect(reopenedAt).toBeGreaterThan(0);
    expect(reopenedAt).toBeLessThanOrEqual(Math.floor(SIZE / 2));
    // The destination session survived: one POST, no restart.
    expect(dstProxy.seen.filter((r) => r.method === 'POST').length).toBe(1);
    expect(await dst.headBlob('faults/dst3', blob.digest)).toEqual({
      digest: blob.digest,
      size: blob.size,
    });
  });

  it('waits for Retry-After on 429 and succeeds, with bounded attempts', async () => {
    const blob = await layer(1000);
    srcProxy.add({
      method: 'HEAD',
      path: /\/blobs\//,
      times: 2,
      action: {
        kind: 'respond',
        status: 429,
        headers: { 'retry-after': '1' },
        body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
      },
    });
    expect(await src.headBlob('faults/src', blob.digest)).toEqual({
      digest: blob.digest,
      size: 1000,
    });
    expect(srcProxy.seen.filter((r) => r.method === 'HEAD').length).toBe(3);
    expect(retries.map((r) => r.reason)).toEqual(['rate-limited', 'rate-limited']);
    for (const r of retries) expect(r.delayMs).toBeGreaterThanOrEqual(1000);
  });

  it('retries a burst of 503 and gives up after the configured attempts', async () => {
    const image = await new ImageBuilder(direct).image('faults/m', {
      tag: 'v1',
      layers: [{ seed: 'm503', size: 10 }],
    });
    srcProxy.add({
      method: 'GET',
      path: /\/manifests\/v1/,
      times: 3,
      action: { kind: 'respond', status: 503, body: 'busy' },
    });
    expect((await src.getManifest('faults/m', 'v1')).descriptor.digest).toBe(
      image.descriptor.digest,
    );
    expect(srcProxy.seen.filter((r) => r.url.includes('/manifests/v1')).length).toBe(4);

    srcProxy.clear();
    srcProxy.add({
      method: 'GET',
      path: /\/manifests\/v1/,
      times: 100,
      action: { kind: 'respond', status: 503, body: 'down' },
    });
    await expect(src.getManifest('faults/m', 'v1')).rejects.toBeInstanceOf(TransientError);
    expect(srcProxy.seen.filter((r) => r.url.includes('/manifests/v1')).length).toBe(
      fast.retries + 1,
    );
  });

  it('gives a RateLimitedError at once when Retry-After is longer than it is willing to wait', async () => {
    srcProxy.add({
      method: 'GET',
      path: /\/tags\/list/,
      action: { kind: 'respond', status: 429, headers: { 'retry-after': '3600' } },
    });
    const error = await src.listTags('faults/m').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3_600_000);
    expect(srcProxy.seen.filter((r) => r.url.includes('/tags/list')).length).toBe(1);
  });

  it('never retries 404 or 403', async () => {
    srcProxy.add({
      method: 'GET',
      path: /\/tags\/list/,
      action: {
        kind: 'respond',
        status: 403,
        body: '{"errors":[{"code":"DENIED","message":"no"}]}',
      },
    });
    await expect(src.listTags('faults/m')).rejects.toThrow(/access denied/);
    await expect(src.getManifest('faults/m', 'nope')).rejects.toThrow(/found nothing/);
    expect(srcProxy.seen.filter((r) => r.method === 'GET').length).toBe(2);
    expect(retries).toEqual([]);
  });
});
