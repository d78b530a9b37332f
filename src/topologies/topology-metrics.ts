import { Injectable } from '@nestjs/common';
import { MetricsService } from '../observability/metrics.service.js';
import { RegistriesService } from '../registries/registries.service.js';
import { Conflicts } from './conflicts.js';
import { NodeStates } from './node-states.js';
import { TopologiesService } from './topologies.service.js';

const LAG_BUCKETS = [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Topology metrics, labelled by topology and node (registry) names. Lag is end to
 * end: from the push reported at the root (or the other master) to the artifact
 * being in place at the node, across every hop.
 */
@Injectable()
export class TopologyMetrics {
  readonly lag;
  readonly conflicts;
  private readonly names = new Map<string, string>();

  constructor(
    metrics: MetricsService,
    private readonly topologies: TopologiesService,
    private readonly registries: RegistriesService,
    states: NodeStates,
    conflicts: Conflicts,
  ) {
    this.lag = metrics.histogram({
      name: 'regrelay_topology_lag_seconds',
      help: 'From the push at the root (or the other master) to the artifact in place at a node, by topology and node.',
      labelNames: ['topology', 'node'],
      buckets: LAG_BUCKETS,
    });
    this.conflicts = metrics.counter({
      name: 'regrelay_topology_conflicts_total',
      help: 'Tags found changed differently on both sides of a dual-master pair, by topology and resolution.',
      labelNames: ['topology', 'resolution'],
    });
    const name = (id: string) => this.topologyName(id);
    metrics.gauge({
      name: 'regrelay_topology_nodes_out_of_sync',
      help: 'Nodes of a topology with drift at the last sync or deliveries waiting for them.',
      labelNames: ['topology'],
      async collect() {
        const rows = await states.outOfSync().catch(() => undefined);
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ topology: await name(r.topologyId) }, r.n);
      },
    });
    metrics.gauge({
      name: 'regrelay_topology_conflicts_held',
      help: 'Conflicts of dual-master pairs waiting for a person (rule hold), by topology.',
      labelNames: ['topology'],
      async collect() {
        const rows = await conflicts.held().catch(() => undefined);
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ topology: await name(r.topologyId) }, r.n);
      },
    });
  }

  async arrived(topologyId: string, registryId: string, lagSeconds: number): Promise<void> {
    const [topology, node] = await Promise.all([
      this.topologyName(topologyId),
      this.registryName(registryId),
    ]);
    this.lag.observe({ topology, node }, lagSeconds);
  }

  async conflict(topologyId: string, resolution: string): Promise<void> {
    this.conflicts.inc({ topology: await this.topologyName(topologyId), resolution });
  }

  /** Renames and deletions must show up in new samples. */
  forget(id: string): void {
    this.names.delete(`topology:${id}`);
    this.names.delete(`registry:${id}`);
  }

  private topologyName(id: string): Promise<string> {
    return this.cached(
      `topology:${id}`,
      async () => (await this.topologies.getMany([id])).get(id)?.name ?? id,
    );
  }

  private registryName(id: string): Promise<string> {
    return this.cached(
      `registry:${id}`,
      async () => (await this.registries.getMany([id])).get(id)?.name ?? id,
    );
  }

  private async cached(key: string, load: () => Promise<string>): Promise<string> {
    const known = this.names.get(key);
    if (known) return known;
    const value = await load();
    this.names.set(key, value);
    return value;
  }
}
