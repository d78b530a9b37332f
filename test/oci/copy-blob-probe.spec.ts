import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  PROBE_BY_MOUNT_MAX_BYTES,
  RegistryClient,
  copyBlob,
  type Descriptor,
} from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

/**
 * Small blobs ask "already there?" with a mount of the destination repository into
 * itself: one round trip that either answers 201 (present) or opens the upload.
 * Counted at a proxy in front of a real distribution registry.
 */
describe('copyBlob: existence probe by mount for small blobs', () => {
  let a: TestRegistry, b: TestRegistry;
  let proxy: FaultProxy;
  let src: RegistryClient, dst: RegistryClient;
  let small: Descriptor, large: Descriptor;

  beforeAll(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    proxy = await startFaultProxy(b.url);
    src = new RegistryClient({ name: 'a', url: a.url });
    dst = new RegistryClient({ name: 'b', url: proxy.url });
    const build = new ImageBuilder(src);
    small = await build.layer('probe/src', { seed: 'probe-small', size: 64 * 1024 });
    large = await build.layer('probe/src', {
      seed: 'probe-large',
      size: PROBE_BY_MOUNT_MAX_BYTES + 1,
    });
  });
  afterAll(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    await proxy?.close();
    await Promise.all([a?.destroy(), b?.destroy()]);
  });
  beforeEach(() => proxy.clear());

  const requests = () => proxy.seen.map((r) => `${r.method} ${r.url.replace(/\?.*$/, '?…')}`);
  const blobHeads = () => proxy.seen.filter((r) => r.method === 'HEAD').length;

  it('uploads an absent small blob into the session the probe opened, without a HEAD', async () => {
    const result = await copyBlob(src, 'probe/src', dst, 'probe/dst', small);
    expect(result.result).toBe('copied');
    expect(blobHeads()).toBe(0);
    const posts = proxy.seen.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toContain(`mount=${encodeURIComponent(small.digest)}`);
    expect((await dst.headBlob('probe/dst', small.digest))?.size).toBe(small.size);
  });

  it('skips a small blob the destination holds with one request', async () => {
    const result = await copyBlob(src, 'probe/src', dst, 'probe/dst', small);
    expect(result).toEqual({ result: 'skipped', bytes: 0 });
    expect(requests()).toEqual(['POST /v2/probe/dst/blobs/uploads/?…']);
  });

  it('HEADs a large blob first, as a probe could cost a needless upload', async () => {
    expect((await copyBlob(src, 'probe/src', dst, 'probe/dst', large)).result).toBe('copied');
    expect(proxy.seen.find((r) => r.url.includes('/blobs/'))?.method).toBe('HEAD');
    proxy.clear();
    expect((await copyBlob(src, 'probe/src', dst, 'probe/dst', large)).result).toBe('skipped');
    expect(requests()).toEqual([`HEAD /v2/probe/dst/blobs/${large.digest}`]);
  });

  it('falls back to HEAD and upload where the registry refuses the mount', async () => {
    proxy.add({
      method: 'POST',
      path: /mount=/,
      action: { kind: 'respond', status: 405, body: 'mount not allowed' },
      times: 10,
    });
    const result = await copyBlob(src, 'probe/src', dst, 'probe/other', small);
    expect(result.result).toBe('copied');
    expect(blobHeads()).toBe(1);
    expect((await dst.headBlob('probe/other', small.digest))?.size).toBe(small.size);
  });
});
