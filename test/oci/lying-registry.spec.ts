import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DigestMismatchError,
  MediaType,
  ProtocolError,
  RegistryClient,
  TooLargeError,
  copyBlob,
  digestOf,
} from '../../src/oci/index.js';
import { copyGraph } from '../support/copy-graph.js';
import { startLyingRegistry, type LyingRegistry } from '../support/lying-registry.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('a registry that lies', () => {
  let liar: LyingRegistry;
  let dest: TestRegistry;
  let src: RegistryClient;
  let dst: RegistryClient;

  const honest = Buffer.from('the bytes everyone agreed on, 0123456789');
  // Same length, one byte different: only the digest can tell.
  const forged = Buffer.from('the bytes everyone agreed on, 0123456780');
  const layerDigest = sha(honest);

  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha(config), size: config.length },
      layers: [{ mediaType: MediaType.OciLayerGzip, digest: layerDigest, size: honest.length }],
    }),
  );
  const unknownType = 'application/vnd.example.never-heard-of+json';
  const unknownManifest = Buffer.from('{"whatever": [1, 2, 3]}');
  const big = Buffer.from(`{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`);

  beforeAll(async () => {
    liar = await startLyingRegistry();
    dest = await startRegistry();
    const m = (path: string) => (url: URL) => url.pathname === `/v2/lies/${path}`;
    liar.route((_r, url) =>
      m(`blobs/${layerDigest}`)(url) ? { status: 200, body: forged } : undefined,
    );
    liar.route((_r, url) =>
      m(`blobs/${sha(config)}`)(url) ? { status: 200, body: config } : undefined,
    );
    liar.route((_r, url) =>
      m('manifests/forged-layer')(url)
        ? {
            status: 200,
            headers: {
              'content-type': MediaType.OciManifest,
              'docker-content-digest': sha(manifest),
            },
            body: manifest,
          }
        : undefined,
    );
    liar.route((_r, url) =>
      m('manifests/wrong-digest')(url)
        ? {
            status: 200,
            headers: {
              'content-type': MediaType.OciManifest,
              'docker-content-digest': sha(config),
            },
            body: manifest,
          }
        : undefined,
    );
    liar.route((_r, url) =>
      m(`manifests/${sha(config)}`)(url)
        ? { status: 200, headers: { 'content-type': MediaType.OciManifest }, body: manifest }
        : undefined,
    );
    liar.route((_r, url) =>
      m('manifests/huge')(url)
        ? { status: 200, headers: { 'content-type': MediaType.OciManifest }, body: big }
        : undefined,
    );
    liar.route((_r, url) =>
      m('manifests/broken')(url)
        ? {
            status: 200,
            headers: { 'content-type': MediaType.OciIndex },
            body: '{"manifests": [ {"digest": ',
          }
        : undefined,
    );
    liar.route((_r, url) =>
      m('manifests/unknown')(url)
        ? {
            status: 200,
            headers: { 'content-type': unknownType, 'docker-content-digest': sha(unknownManifest) },
            body: unknownManifest,
          }
        : undefined,
    );
    liar.route((_r, url) =>
      m(`blobs/sha256:${'1'.repeat(64)}`)(url)
        ? { status: 307, headers: { location: '/loop/a' } }
        : undefined,
    );
    liar.route((_r, url) =>
      url.pathname === '/loop/a' ? { status: 302, headers: { location: '/loop/b' } } : undefined,
    );
    liar.route((_r, url) =>
      url.pathname === '/loop/b'
        ? { status: 302, headers: { location: `${liar.url}/loop/a` } }
        : undefined,
    );
    src = new RegistryClient({
      name: 'liar',
      url: liar.url,
      retry: { retries: 1, minDelayMs: 10 },
    });
    dst = new RegistryClient({
      name: 'dest',
      url: dest.url,
      retry: { retries: 1, minDelayMs: 10 },
    });
  });
  afterAll(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    await liar?.close();
    await dest?.destroy();
  });

  /**
   * Upload sessions that still hold data. distribution 2.8.2's cancel deletes the
   * data but leaves an empty `hashstates` folder behind, even for a plain start+cancel.
   */
  async function openUploads(repo: string): Promise<string[]> {
    const dir = join(dest.storageDir, 'docker/registry/v2/repositories', repo, '_uploads');
    const sessions = await readdir(dir).catch(() => [] as string[]);
    const withData: string[] = [];
    for (const id of sessions) {
      if ((await readdir(join(dir, id))).includes('data')) withData.push(id);
    }
    return withData;
  }

  async function nothingAt(repo: string) {
    expect(await openUploads(repo)).toEqual([]);
    expect(await dst.headBlob(repo, layerDigest)).toBeUndefined();
    expect(await dst.headManifest(repo, 'forged-layer')).toBeUndefined();
    await expect(dst.listTags(repo)).rejects.toThrow(/found nothing/);
  }

  it('wrong bytes for a digest: DigestMismatchError, session deleted, nothing committed', async () => {
    const error = await copyBlob(src, 'lies', dst, 'victim/a', {
      digest: layerDigest,
      size: honest.length,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as DigestMismatchError).expected).toBe(layerDigest);
    expect((error as DigestMismatchError).actual).toBe(sha(forged));
    await expect(copyGraph(src, 'lies', dst, 'victim/a', 'forged-layer')).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    await nothingAt('victim/a');
  });

  it('a short or long source is a size mismatch', async () => {
    const short = await copyBlob(src, 'lies', dst, 'victim/b', {
      digest: layerDigest,
      size: honest.length + 5,
    }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(DigestMismatchError);
    const long = await copyBlob(src, 'lies', dst, 'victim/b', {
      digest: layerDigest,
      size: honest.length - 5,
    }).catch((e: unknown) => e);
    expect(long).toBeInstanceOf(DigestMismatchError);
    expect(await dst.headBlob('victim/b', layerDigest)).toBeUndefined();
  });

  it('wrong Docker-Content-Digest: DigestMismatchError', async () => {
    const error = await src.getManifest('lies', 'wrong-digest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as DigestMismatchError).actual).toBe(sha(manifest));
    // Asked by digest, answered with other bytes.
    await expect(src.getManifest('lies', sha(config))).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(copyGraph(src, 'lies', dst, 'victim/c', 'wrong-digest')).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    expect(await dst.headManifest('victim/c', 'wrong-digest')).toBeUndefined();
  });

  it('a 10 MiB manifest: TooLargeError, in both directions', async () => {
    const error = await src.getManifest('lies', 'huge').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooLargeError);
    expect((error as TooLargeError).limit).toBe(4 * 1024 * 1024);
    expect((error as TooLargeError).message).toMatch(/limit/);
    await expect(
      dst.putManifest('victim/d', 'v1', big, MediaType.OciManifest),
    ).rejects.toBeInstanceOf(TooLargeError);
    const roomy = new RegistryClient({
      name: 'liar-roomy',
      url: liar.url,
      manifestMaxBytes: 16 * 1024 * 1024,
    });
    try {
      expect((await roomy.getManifest('lies', 'huge')).bytes.length).toBe(big.length);
    } finally {
      await roomy.close();
    }
  });

  it('invalid JSON in a known manifest type: ProtocolError, nothing pushed', async () => {
    await expect(src.getManifest('lies', 'broken')).rejects.toBeInstanceOf(ProtocolError);
    await expect(copyGraph(src, 'lies', dst, 'victim/e', 'broken')).rejects.toBeInstanceOf(
      ProtocolError,
    );
    await expect(dst.listTags('victim/e')).rejects.toThrow(/found nothing/);
  });

  it('an unknown media type is opaque: read, verified, not parsed', async () => {
    const read = await src.getManifest('lies', 'unknown');
    expect(read.descriptor).toEqual({
      mediaType: unknownType,
      digest: digestOf(unknownManifest),
      size: unknownManifest.length,
    });
    expect(read.bytes.equals(unknownManifest)).toBe(true);
  });

  it('a redirect loop: ProtocolError after a bounded number of hops', async () => {
    const before = liar.log.length;
    const error = await src.getBlob('lies', `sha256:${'1'.repeat(64)}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/redirect loop/);
    expect(liar.log.length - before).toBeLessThanOrEqual(4);
  });
});
