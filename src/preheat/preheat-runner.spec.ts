import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { filter, Subject } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import type { RegistriesService } from '../registries/registries.service.js';
import type { EventBus } from '../replication/event-bus.js';
import type { ExecutionsService } from '../replication/executions/executions.service.js';
import type { InstanceId } from '../replication/instance-id.js';
import type { ReplicationEvent } from '../replication/replication-events.js';
import type { PreheatMetrics } from './preheat-metrics.js';
import { PreheatRunner } from './preheat-runner.js';
import type { PreheatStore } from './preheat-store.js';

const unreachable = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('PreheatRunner', () => {
  it('plans the preheats of a finished execution once the database answers again', async () => {
    const events = new Subject<ReplicationEvent>();
    const bus = {
      of: (type: string) => events.pipe(filter((e) => e.type === type)),
    } as unknown as EventBus;
    let asked = 0;
    const registries = {
      // The first look at the registries falls in an outage; the second finds none managed.
      list: async () => {
        if (++asked === 1) throw unreachable();
        return [];
      },
    } as unknown as RegistriesService;
    const runner = new PreheatRunner(
      { preheatPollIntervalMs: 1000, preheatTimeoutSeconds: 60 } as AppConfig,
      bus,
      {} as ExecutionsService,
      registries,
      {} as PreheatStore,
      {} as PreheatMetrics,
      { value: 'host:1:test', predecessors: undefined } as InstanceId,
    );
    runner.onApplicationBootstrap();
    try {
      events.next({
        type: 'execution.finished',
        executionId: 'e1',
        owner: { kind: 'policy', id: 'p1' },
        status: 'succeeded',
        message: null,
      });
      for (let i = 0; i < 100 && asked < 2; i++) await sleep(50);
      expect(asked).toBe(2);
    } finally {
      await runner.onApplicationShutdown();
    }
  });
});
