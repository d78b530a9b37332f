import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { filter, Subject } from 'rxjs';
import { loadConfig } from '../../config/app-config.js';
import { ShutdownState } from '../../observability/shutdown-state.js';
import type { EventBus } from '../event-bus.js';
import type { ReplicationEvent } from '../replication-events.js';
import { InstanceId } from '../instance-id.js';
import type { ClaimedTask, TaskQueue } from './task-queue.js';
import { Worker } from './worker.js';

/** Fails the test on any call the worker should not make here. */
const unexpected = (what: string) =>
  new Proxy({} as never, {
    get: (_, name) => {
      if (name === 'then') return undefined;
      throw new Error(`unexpected call to ${what}.${String(name)}`);
    },
  });

describe('the worker', () => {
  it('claims again at once when work was announced while it was claiming', async () => {
    const events = new Subject<ReplicationEvent>();
    const bus = {
      of: (...types: string[]) => events.pipe(filter((e) => types.includes(e.type))),
      publish: async () => undefined,
    } as unknown as EventBus;
    // The first claim is slow: tasks are announced while it runs (and it did not see them).
    let claims = 0;
    let announced!: () => void;
    const firstClaimRunning = new Promise<void>((resolve) => (announced = resolve));
    const queue = {
      takeOverFrom: async () => 0,
      async claim(): Promise<ClaimedTask[]> {
        claims++;
        if (claims === 1) {
          announced();
          await sleep(50);
        }
        return [];
      },
    } as unknown as TaskQueue;
    // A poll far longer than the test waits: only the announcement can explain a second claim.
    const config = loadConfig({ REGRELAY_WORKERS: '2', REGRELAY_POLL_INTERVAL_MS: '60000' });
    const worker = new Worker(
      config,
      queue,
      unexpected('executor'),
      unexpected('finisher'),
      bus,
      unexpected('metrics'),
      new ShutdownState(),
      new InstanceId(config),
      unexpected('hooks'),
    );
    worker.onApplicationBootstrap();
    try {
      await firstClaimRunning;
      events.next({ type: 'tasks.available', executionId: 'e1' });
      for (let waited = 0; claims < 2 && waited < 10_000; waited += 20) await sleep(20);
      expect(claims).toBe(2);
    } finally {
      await worker.onApplicationShutdown();
    }
  });
});
