import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CopiesAcceptedDto } from '../../src/replication/copies/copy.dto.js';
import type { ExecutionDto } from '../../src/replication/dto/execution.dto.js';
import { RegistryClient } from '../../src/oci/index.js';
import { ImageBuilder, type PushedManifest } from '../support/image-builder.js';
import { metricValue } from '../support/metrics.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { addRegistry, finished, json, tasks } from '../support/replication-api.js';
import { readExecutionEvents } from '../support/sse.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * One-off copies over REST. Requests go to an API-only replica (no workers), so the
 * test can change the source between the request and the copy; a second replica on
 * the same database then does the work.
 */
describe('POST /api/v1/copies', () => {
  let database: TestDatabase;
  let api: TestApp;
  let worker: TestApp | undefined;
  let source: TestRegistry, destination: TestRegistry;
  let sourceClient: RegistryClient, destinationClient: RegistryClient;
  let build: ImageBuilder;
  let sourceId: string, destinationId: string;
  let v1: PushedManifest, v2: PushedManifest;

  const copies = (body: object, token?: string) =>
    api.api('/api/v1/copies', { method: 'POST', json: body, ...(token ? { token } : {}) });
  const startWorker = async () =>
    (worker ??= await startTestApp(
      { REGRELAY_POLL_INTERVAL_MS: '100', REGRELAY_ADMIN_TOKEN: api.adminToken },
      { database },
    ));

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    database = await createTestDatabase();
    api = await startTestApp({ REGRELAY_WORKERS: '0' }, { database });
    sourceClient = new RegistryClient({ name: 'source', url: source.url });
    destinationClient = new RegistryClient({ name: 'destination', url: destination.url });
    build = new ImageBuilder(sourceClient);
    v1 = await build.image('team/app', {
      tag: 'v1',
      layers: [{ seed: 'app-v1', size: 48 * 1024 }],
    });
    v2 = await build.image('team/app', { layers: [{ seed: 'app-v2', size: 32 * 1024 }] });
    sourceId = await addRegistry(api, 'source', source);
    destinationId = await addRegistry(api, 'destination', destination);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await database?.drop();
    await Promise.all([sourceClient?.close(), destinationClient?.close()]);
    await Promise.all([source?.destroy(), destination?.destroy()]);
  });

  it('copies the digest a tag had when the request was accepted, even after the tag moved', async () => {
    const accepted = await json<CopiesAcceptedDto>(
      await copies({
        items: [
          {
            source: { registryId: sourceId, repository: 'team/app', tag: 'v1' },
            destination: { registryId: destinationId, repository: 'prod/app' },
          },
        ],
        reason: 'release v1',
      }),
      202,
    );
    expect(accepted.items).toEqual([
      {
        source: {
          registryId: sourceId,
          repository: 'team/app',
          digest: v1.descriptor.digest,
          tag: 'v1',
        },
        destination: { registryId: destinationId, repository: 'prod/app', tag: 'v1' },
      },
    ]);
    // The tag moves before any worker has seen the request.
    await sourceClient.putManifest('team/app', 'v1', v2.bytes, v2.descriptor.mediaType);
    expect((await sourceClient.headManifest('team/app', 'v1'))?.digest).toBe(v2.descriptor.digest);

    await startWorker();
    const done = await finished(api, accepted.executionId);
    expect(done).toMatchObject({
      status: 'succeeded',
      owner: { kind: 'copy', id: accepted.executionId, name: null },
      policyId: null,
      reason: 'release v1',
      counts: { total: 1, succeeded: 1 },
    });
    expect((await destinationClient.headManifest('prod/app', 'v1'))?.digest).toBe(
      v1.descriptor.digest,
    );
  });

  it('refuses a request with one bad item among ten, naming the item and the field, and copies nothing', async () => {
    const items = Array.from({ length: 10 }, (_, i) => ({
      source: { registryId: sourceId, repository: 'team/app', digest: v1.descriptor.digest },
      destination: { registryId: destinationId, repository: `batch/app-${i}`, tag: 'v1' },
    }));
    items[6] = { ...items[6]!, source: { ...items[6]!.source, digest: 'sha256:nothex' } };
    const before = await json<{ total: number }>(await api.api('/api/v1/executions?limit=1'));
    const res = await copies({ items });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; reason: string }[] };
    expect(body.errors).toEqual([
      { field: 'items[6].source.digest', reason: expect.stringContaining('sha256:<64 hex>') },
    ]);
    const after = await json<{ total: number }>(await api.api('/api/v1/executions?limit=1'));
    expect(after.total).toBe(before.total);
    expect(await destinationClient.headManifest('batch/app-0', 'v1')).toBeUndefined();
  });

  it('names each problem an item has: unknown registry, missing tag, both digest and tag, duplicates', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const shape = await copies({
      items: [
        {
          source: { registryId: unknown, repository: 'team/app', tag: 'v1' },
          destination: { registryId: destinationId },
        },
        {
          source: {
            registryId: sourceId,
            repository: 'team/app',
            tag: 'v1',
            digest: v1.descriptor.digest,
          },
          destination: { registryId: destinationId, tag: 'bad tag' },
        },
      ],
    });
    expect(shape.status).toBe(400);
    expect(((await shape.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'items[0].source.registryId', reason: `registry ${unknown} does not exist` },
      { field: 'items[1].source', reason: 'give exactly one of digest and tag' },
      { field: 'items[1].destination.tag', reason: expect.stringContaining('tag must be') },
    ]);
    const missing = await copies({
      items: [
        {
          source: { registryId: sourceId, repository: 'team/app', tag: 'no-such-tag' },
          destination: { registryId: destinationId },
        },
      ],
    });
    expect(((await missing.json()) as { errors: unknown[] }).errors).toEqual([
      {
        field: 'items[0].source.tag',
        reason: 'team/app:no-such-tag does not exist at registry source',
      },
    ]);
    const twice = {
      source: { registryId: sourceId, repository: 'team/app', digest: v1.descriptor.digest },
      destination: { registryId: destinationId, tag: 'same' },
    };
    const duplicate = await copies({ items: [twice, twice] });
    expect(((await duplicate.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'items[1].destination', reason: 'writes the same destination tag as items[0]' },
    ]);
    const tooMany = await copies({ items: Array.from({ length: 1001 }, () => twice) });
    expect(tooMany.status).toBe(400);
  });

  it('fails a task whose pinned digest left the source, naming registry, repository and digest', async () => {
    const gone = await build.image('team/gone', {
      tag: 'v1',
      layers: [{ seed: 'gone', size: 1024 }],
    });
    await worker?.close();
    worker = undefined;
    const accepted = await json<CopiesAcceptedDto>(
      await copies({
        items: [
          {
            source: {
              registryId: sourceId,
              repository: 'team/gone',
              digest: gone.descriptor.digest,
            },
            destination: { registryId: destinationId },
          },
        ],
      }),
      202,
    );
    await sourceClient.deleteManifest('team/gone', gone.descriptor.digest);
    await startWorker();
    const done = await finished(api, accepted.executionId);
    expect(done.status).toBe('failed');
    const [task] = await tasks(api, accepted.executionId);
    expect(task).toMatchObject({ status: 'failed', attempts: 1, tag: null });
    expect(task!.reason).toContain(`source team/gone@${gone.descriptor.digest}`);
    expect(task!.reason).toContain('no longer has this digest');
  });

  it('runs as an execution like any other: listed by owner, streamed, stopped, counted, operator-only', async () => {
    const counted = { policy: 'copy:one-off', status: 'succeeded' };
    const before = await metricValue(await startWorker(), 'regrelay_executions_total', counted);
    const body = {
      items: [
        {
          source: { registryId: sourceId, repository: 'team/app', digest: v2.descriptor.digest },
          destination: { registryId: destinationId, repository: 'streamed/app', tag: 'v2' },
        },
      ],
    };
    const { executionId } = await json<CopiesAcceptedDto>(await copies(body), 202);
    const events = await readExecutionEvents(api, executionId);
    expect(events[0]!.type).toBe('snapshot');
    expect(events.at(-1)).toMatchObject({
      type: 'execution.finished',
      data: { status: 'succeeded', owner: { kind: 'copy', id: executionId } },
    });
    const listed = await json<{ items: ExecutionDto[] }>(
      await api.api('/api/v1/executions?ownerKind=copy&limit=100'),
    );
    expect(listed.items.map((e) => e.id)).toContain(executionId);
    expect(listed.items.every((e) => e.owner.kind === 'copy')).toBe(true);
    expect(await metricValue(worker!, 'regrelay_executions_total', counted)).toBe(before + 1);
    const [task] = await tasks(api, executionId);
    expect(task).toMatchObject({ sourceRegistry: 'source', destinationRegistry: 'destination' });

    // A copy can be stopped like any execution: here before a worker takes it.
    await worker!.close();
    worker = undefined;
    const waiting = await json<CopiesAcceptedDto>(await copies(body), 202);
    const stopped = await json<ExecutionDto>(
      await api.api(`/api/v1/executions/${waiting.executionId}/stop`, { method: 'POST' }),
      202,
    );
    expect(stopped).toMatchObject({ status: 'stopped', counts: { pending: 0, stopped: 1 } });

    const created = await json<{ token: string }>(
      await api.api('/api/v1/tokens', {
        method: 'POST',
        json: { name: 'ci-viewer', role: 'viewer' },
      }),
      201,
    );
    expect((await copies(body, created.token)).status).toBe(403);
  });
});
