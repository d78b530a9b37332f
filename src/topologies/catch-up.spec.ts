import { describe, expect, it } from '@jest/globals';
import type { AppConfig } from '../config/app-config.js';
import type { RegistriesService } from '../registries/registries.service.js';
import type { RegistryClients } from '../registries/registry-clients.js';
import type { ExecutionsService } from '../replication/executions/executions.service.js';
import type { Backlog, Waiting } from './backlog.js';
import { CatchUp } from './catch-up.js';
import type { TopologyCache } from './topology-cache.js';

/** What Node says when nothing listens where the database was. */
const unreachable = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const missed: Waiting = {
  topologyId: 't1',
  parentRegistryId: 'province',
  childRegistryId: 'city',
  eventAt: null,
  task: {
    operation: 'copy',
    sourceRegistryId: 'province',
    sourceRepository: 'app',
    destinationRegistryId: 'city',
    destinationRepository: 'app',
    tag: 'v1',
    digest: 'sha256:1',
    mediaType: null,
    status: 'pending',
    reason: 'caught up after the node answered again',
  },
};

/** A CatchUp over strict fakes: one node with one missed delivery, answering pings. */
function catchUp(enqueue: () => Promise<unknown>) {
  const putBack: Waiting[] = [];
  const backlog = {
    waitingNodes: async () => [{ topologyId: 't1', childRegistryId: 'city', n: 1 }],
    take: async () => [missed],
    add: async (w: Waiting) => void putBack.push(w),
  };
  const subject = new CatchUp(
    {} as AppConfig,
    backlog as unknown as Backlog,
    {
      get: async () => ({ id: 't1', name: 'tree', kind: 'tree', override: false }),
    } as never as TopologyCache,
    {
      getMany: async () => new Map([['city', { id: 'city', name: 'city' }]]),
    } as never as RegistriesService,
    {
      build: () => ({ ping: async () => ({}), close: async () => undefined }),
    } as never as RegistryClients,
    { enqueueTasks: enqueue } as never as ExecutionsService,
  );
  return { subject, putBack };
}

describe('CatchUp', () => {
  it('re-queues what it took from the backlog once the database answers again', async () => {
    let calls = 0;
    const { subject, putBack } = catchUp(async () => {
      if (++calls < 3) throw unreachable();
    });
    expect(await subject.pass()).toBe(1);
    expect(calls).toBe(3);
    expect(putBack).toEqual([]);
  });

  it('puts what it took back into the backlog when re-queueing is refused', async () => {
    const refusal = new Error('the topology is disabled');
    const { subject, putBack } = catchUp(async () => {
      throw refusal;
    });
    await expect(subject.pass()).rejects.toBe(refusal);
    expect(putBack).toEqual([missed]);
  });
});
