import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable, logOutage, whileDatabaseDown } from '../database/outage.js';
import { TransientError } from '../oci/index.js';
import { RegistriesService } from '../registries/registries.service.js';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { RegistryClients } from '../registries/registry-clients.js';
import { ExecutionsService } from '../replication/executions/executions.service.js';
import { Backlog, type Waiting } from './backlog.js';
import { TopologyCache } from './topology-cache.js';
import type { TopologyEntity } from './topology.entity.js';
import { edgeOwner, settingsOf } from './topology-settings.js';

/**
 * Brings a tree node that was down back in step: what it missed (the backlog) is
 * handed to its parent's edge again as soon as the node answers, so its subtree
 * catches up without a rescan of the root. Every replica looks; taking the backlog
 * is one DELETE … RETURNING, so only one re-queues it. What was taken is re-queued
 * even across a database outage (the wait is held in memory), or put back.
 */
@Injectable()
export class CatchUp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CatchUp.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly closing = new AbortController();

  constructor(
    private readonly config: AppConfig,
    private readonly backlog: Backlog,
    private readonly topologies: TopologyCache,
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
    private readonly executions: ExecutionsService,
  ) {}

  onApplicationBootstrap(): void {
    // Ten polls: a node back up is found within seconds, a down one costs a ping each time.
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .then(() => undefined)
        .catch((error: unknown) => {
          // While the database is away every look fails alike; the next one after it returns works.
          if (isDatabaseUnavailable(error))
            this.logger.debug({ err: error }, 'Catching up nodes waits for the database');
          else this.logger.warn({ err: error }, 'Catching up nodes failed');
        })
        .finally(() => (this.running = undefined));
    }, this.config.pollIntervalMs * 10);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing.abort();
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at every node with deliveries waiting; returns how many were re-queued. */
  async pass(): Promise<number> {
    let requeued = 0;
    for (const { topologyId, childRegistryId } of await this.backlog.waitingNodes()) {
      const topology = await this.topologies.get(topologyId);
      const registry = (await this.registries.getMany([childRegistryId])).get(childRegistryId);
      if (!topology || !registry || !(await this.answers(registry))) continue;
      const waiting = await this.backlog.take(topologyId, childRegistryId);
      try {
        await this.durably(() => this.requeue(topology, waiting));
      } catch (error) {
        // Not re-queued (shutdown, or a refusal): back into the backlog for the next look.
        await this.durably(async () => {
          for (const w of waiting) await this.backlog.add(w);
        });
        throw error;
      }
      requeued += waiting.length;
      this.logger.log(
        { topology: topology.name, node: registry.name, deliveries: waiting.length },
        'A node answers again: what it missed is on its way',
      );
    }
    return requeued;
  }

  /** Hands a node's missed deliveries to its parents' edges again. */
  private async requeue(topology: TopologyEntity, waiting: Waiting[]): Promise<void> {
    for (const [parent, group] of byParent(waiting)) {
      const since = Object.fromEntries(
        group.flatMap((w) =>
          w.eventAt ? [[`${w.task.sourceRepository}:${w.task.tag}`, w.eventAt.toISOString()]] : [],
        ),
      );
      await this.executions.enqueueTasks(
        edgeOwner(topology, parent),
        'upstream',
        settingsOf(topology),
        group.map((w) => w.task),
        since,
      );
    }
  }

  private durably<T>(work: () => Promise<T>): Promise<T> {
    return whileDatabaseDown(work, {
      signal: this.closing.signal,
      onOutage: logOutage(this.logger, 'catching up a node'),
    });
  }

  /** Whether the registry answers at all (a refusal still counts: its tasks will say why). */
  private async answers(registry: RegistryEntity): Promise<boolean> {
    const client = this.clients.build(registry, { retry: { retries: 0 } });
    try {
      await client.ping({ signal: AbortSignal.timeout(5000) });
      return true;
    } catch (error) {
      return !(error instanceof TransientError);
    } finally {
      await client.close();
    }
  }
}

function byParent(waiting: Waiting[]): Map<string, Waiting[]> {
  const groups = new Map<string, Waiting[]>();
  for (const w of waiting)
    groups.set(w.parentRegistryId, [...(groups.get(w.parentRegistryId) ?? []), w]);
  return groups;
}
