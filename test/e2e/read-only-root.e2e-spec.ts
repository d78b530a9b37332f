import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/index.js';
import { requireBinary } from '../support/binaries.js';
import { ImageBuilder } from '../support/image-builder.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  processCaller,
  startRegrelayProcess,
  type RegrelayProcess,
} from '../support/regrelay-process.js';
import { addPolicy, addRegistry, runToSuccess } from '../support/replication-api.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Mounts `/` read-only in a private mount namespace, with tmpfs on the two directories
 * the Kubernetes Deployment mounts as emptyDir (/tmp and the data directory), refuses
 * to go on if the root is still writable, then runs regrelay.
 */
const READ_ONLY_ROOT = `set -e
mount -o remount,bind,ro /
mount -t tmpfs -o size=64m,mode=1777 tmpfs "$1"
mount -t tmpfs -o size=64m tmpfs "$2"
if touch "$3" 2>/dev/null; then echo "the root filesystem is still writable" >&2; exit 97; fi
shift 3
exec "$@"`;

/**
 * deploy/kubernetes runs regrelay with `readOnlyRootFilesystem: true`. This runs the
 * built service the same way (as root, which a read-only mount stops too) and has it
 * replicate, so a write outside the mounted volumes fails here before it fails a pod.
 */
describe('regrelay on a read-only root filesystem', () => {
  let work: string, tmp: string, data: string;
  let database: TestDatabase;
  let source: TestRegistry, destination: TestRegistry;
  let p: RegrelayProcess | undefined;
  let digest: string;
  const token = `ro-root-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    requireBinary('unshare');
    work = await mkdtemp(join(tmpdir(), 'regrelay-ro-root-'));
    tmp = join(work, 'tmp');
    data = join(work, 'data');
    await Promise.all([mkdir(tmp), mkdir(data)]);
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    database = await createTestDatabase();
    const client = new RegistryClient({ name: 'source', url: source.url });
    const image = await new ImageBuilder(client).image('app', {
      tag: '1.0',
      layers: [{ seed: 'read-only-root', size: 256 * 1024 }],
    });
    digest = image.descriptor.digest;
    await client.close();
  });
  afterAll(async () => {
    await p?.stop('SIGKILL');
    await Promise.all([source, destination].map((r) => r?.destroy()));
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('starts, replicates and stops cleanly, writing nothing in its data directory', async () => {
    p = await startRegrelayProcess(
      {
        DATABASE_URL: database.url,
        REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
        REGRELAY_ADMIN_TOKEN: token,
        REGRELAY_DATA_DIR: data,
        REGRELAY_POLL_INTERVAL_MS: '100',
        TMPDIR: tmp,
        NODE_ENV: 'production',
      },
      undefined,
      {
        wrap: (command) => [
          'unshare',
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          READ_ONLY_ROOT,
          'sh',
          tmp,
          data,
          join(work, 'probe'),
          ...command,
        ],
      },
    );
    await p.waitReady();
    const api = processCaller(p, token);
    const src = await addRegistry(api, 'source', source);
    const dst = await addRegistry(api, 'destination', destination);
    const policyId = await addPolicy(api, {
      name: 'ro-root',
      sourceRegistryId: src,
      filters: { repositories: ['app'] },
      destinations: [{ registryId: dst }],
    });
    await runToSuccess(api, policyId);
    const client = new RegistryClient({ name: 'destination', url: destination.url });
    expect((await client.headManifest('app', '1.0'))?.digest).toBe(digest);
    await client.close();

    // The process's own view of its volumes (its mount namespace, through /proc).
    const inside = (dir: string) => readdir(join(`/proc/${p!.child.pid}/root`, dir));
    expect(await inside(data)).toEqual([]);
    expect(await p.stop('SIGTERM')).toBe(0);
    expect(p.output()).not.toMatch(/EROFS|read-only file system/i);
  });
});
