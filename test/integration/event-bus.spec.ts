import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { EventBus } from '../../src/replication/event-bus.js';
import type { ReplicationEvent } from '../../src/replication/replication-events.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

/**
 * The event bus of two replicas on one real PostgreSQL: task events share NOTIFYs,
 * every event reaches the other replica once and in the order it was published.
 */
describe('EventBus', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let a: EventBus, b: EventBus;
  /** A plain listener on the channel: what went over the wire, one entry per NOTIFY. */
  let wire: pg.Client;
  const notifications: string[] = [];
  const heard: ReplicationEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 4 }),
    ).initialize();
    [a, b] = [new EventBus(dataSource), new EventBus(dataSource)];
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    b.events$.subscribe((e) => heard.push(e));
    wire = new pg.Client({ connectionString: database.url });
    await wire.connect();
    wire.on('notification', (m) => notifications.push(m.payload ?? ''));
    await wire.query('LISTEN regrelay_events');
  });
  afterAll(async () => {
    await wire?.end();
    await Promise.all([a?.onApplicationShutdown(), b?.onApplicationShutdown()]);
    await dataSource?.destroy();
    await database?.drop();
  });

  const taskEvent = (n: number): Extract<ReplicationEvent, { type: 'task.finished' }> => ({
    type: 'task.finished',
    executionId: 'e1',
    taskId: `t${n}`,
    status: 'succeeded',
    reason: null,
    bytes: n,
  });
  /** Waits until the other replica heard `events` and the wire carried `sent` NOTIFYs. */
  const delivered = (events: number, sent: number) =>
    waitFor(`${events} events heard in ${sent} NOTIFYs`, async () =>
      heard.length >= events && notifications.length >= sent ? true : undefined,
    );
  const taskIds = () => heard.map((e) => (e as { taskId?: string }).taskId);
  const reset = () => {
    notifications.length = 0;
    heard.length = 0;
  };

  it('sends task events published together as one NOTIFY, heard in order', async () => {
    reset();
    for (let n = 0; n < 5; n++) void a.publish(taskEvent(n));
    await delivered(5, 1);
    expect(taskIds()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(notifications).toHaveLength(1);
  });

  it('sends pending task events ahead of an event that goes at once, in the same NOTIFY', async () => {
    reset();
    void a.publish(taskEvent(1));
    void a.publish(taskEvent(2));
    await a.publish({ type: 'execution.stop', executionId: 'e1' });
    await delivered(3, 1);
    expect(heard.map((e) => e.type)).toEqual(['task.finished', 'task.finished', 'execution.stop']);
    expect(notifications).toHaveLength(1);
    expect(JSON.parse(notifications[0]!)).toHaveLength(3);
  });

  it('sends a lone event as the object itself (what replicas of earlier versions read)', async () => {
    reset();
    await a.publish({ type: 'tasks.available', executionId: 'e2' });
    await delivered(1, 1);
    expect(JSON.parse(notifications[0]!)).toEqual({ type: 'tasks.available', executionId: 'e2' });
  });

  it('splits a batch larger than a NOTIFY can carry, keeping the order', async () => {
    reset();
    const big = (n: number): ReplicationEvent => ({ ...taskEvent(n), reason: 'x'.repeat(3000) });
    for (let n = 0; n < 5; n++) void a.publish(big(n));
    await delivered(5, 3);
    expect(taskIds()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    // Two 3 KB events fit under PostgreSQL's 8,000-byte limit, three do not.
    expect(notifications).toHaveLength(3);
    for (const payload of notifications) expect(payload.length).toBeLessThan(8000);
  });
});
