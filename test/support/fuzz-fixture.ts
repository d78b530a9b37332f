import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/common/free-port.js';
import { DISTRIBUTION_WEBHOOK_PATH } from '../../src/events/webhook-routes.js';
import { NotFoundError, RegistryClient } from '../../src/oci/index.js';
import type { ExecutionDto } from '../../src/replication/dto/execution.dto.js';
import type {
  ConflictDto,
  TopologyPlanDto,
  TopologyStatusDto,
} from '../../src/topologies/dto/topology-reports.dto.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { ImageBuilder } from './image-builder.js';
import { startNotificationGate, type NotificationGate } from './notification-gate.js';
import { startRegistry, type RegistryOptions, type TestRegistry } from './registry.js';
import { processCaller, startRegrelayProcess, type RegrelayProcess } from './regrelay-process.js';
import { addRegistry, json, type ApiCaller } from './replication-api.js';
import {
  ALL_NODES,
  EXCLUDED_TAG_PREFIX,
  PAIR_NAMES,
  PAIR_NODES,
  PAIRS,
  REPOSITORIES,
  repositoryAt,
  TREE_NAMESPACE,
  TREE_NODES,
  TREE_PARENT,
  type Target,
} from './topology-model.js';

/** One registry of the fuzz: the real registry, the proxy regrelay reaches it through. */
export interface FuzzNode {
  name: string;
  registry: TestRegistry;
  /** Stopped instances of it, removed (with its storage) at the end. */
  readonly retired: TestRegistry[];
  readonly options: RegistryOptions;
  /** regrelay talks to the registry through this (faults by rule). */
  proxy: FaultProxy;
  /** Its webhooks pass this on their way to regrelay (writable registries only). */
  gate?: NotificationGate;
  /** Straight to the registry: what people push, and how the fuzz reads. */
  client: RegistryClient;
  builder: ImageBuilder;
  /** Its id in regrelay. */
  id: string;
}

/** node → repository (as named there) → tag → digest. */
export type Holdings = Map<string, Map<string, Map<string, string>>>;

/** Settings that make a fuzz run take seconds, not minutes (see docs/topologies.md). */
const REGRELAY_SETTINGS = {
  REGRELAY_POLL_INTERVAL_MS: '200',
  REGRELAY_EVENT_COALESCE_MS: '300',
  REGRELAY_TASK_MAX_ATTEMPTS: '3',
  REGRELAY_TASK_LEASE_SECONDS: '5',
  // Tiny catalogues: deleting two of three tags is no accident here.
  REGRELAY_DELETION_GUARD_SHARE: '1',
  REGRELAY_EXECUTION_RETENTION_COUNT: '2000',
  REGRELAY_SHUTDOWN_TIMEOUT_SECONDS: '5',
  LOG_LEVEL: 'warn',
};

/**
 * Eleven real distribution registries (a 1 → 2 → 4 tree and two dual-master pairs),
 * each behind a fault proxy, the writable ones sending webhooks through a gate, and
 * regrelay as a child process on a fixed port over one database, so it can be
 * SIGKILLed and started again with nothing lost but what a crash loses.
 */
export class FuzzFixture {
  readonly nodes = new Map<string, FuzzNode>();
  readonly topologyIds = {} as Record<Target, string>;
  regrelay!: RegrelayProcess;
  private readonly token = `fuzz-admin-${randomBytes(12).toString('hex')}`;
  private readonly env: Record<string, string>;
  /** Output of regrelay processes killed so far (for a failing seed's report). */
  private readonly earlierOutput: string[] = [];

  private constructor(
    databaseUrl: string,
    private readonly port: number,
    private readonly dataDir: string,
    private readonly main: string | undefined,
  ) {
    this.env = {
      ...REGRELAY_SETTINGS,
      DATABASE_URL: databaseUrl,
      REGRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      REGRELAY_ADMIN_TOKEN: this.token,
      REGRELAY_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
    };
  }

  static async start(databaseUrl: string, main?: string): Promise<FuzzFixture> {
    const dataDir = await mkdtemp(join(tmpdir(), 'regrelay-fuzz-'));
    const fixture = new FuzzFixture(databaseUrl, await freePort(), dataDir, main);
    try {
      await fixture.startRegrelay();
      await fixture.startNodes();
      return fixture;
    } catch (error) {
      await fixture.close();
      throw error;
    }
  }

  get api(): ApiCaller {
    return processCaller(this.regrelay, this.token);
  }

  node(name: string): FuzzNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no fuzz node ${name}`);
    return node;
  }

  private async startNodes(): Promise<void> {
    const webhooks = new Set<string>(['hq', ...PAIR_NODES]);
    for (const name of ALL_NODES) {
      const secret = `fuzz-webhook-${name}-${randomBytes(8).toString('hex')}`;
      const gate = webhooks.has(name)
        ? await startNotificationGate(`http://127.0.0.1:${this.port}${DISTRIBUTION_WEBHOOK_PATH}`)
        : undefined;
      const options: RegistryOptions = gate
        ? { notifications: { url: gate.url, headers: { Authorization: [`Bearer ${secret}`] } } }
        : {};
      const registry = await startRegistry(options);
      const proxy = await startFaultProxy(registry.url);
      const client = new RegistryClient({ name, url: registry.url, retry: { retries: 2 } });
      const id = await addRegistry(this.api, name, proxy, gate ? { webhookSecret: secret } : {});
      this.nodes.set(name, {
        name,
        registry,
        retired: [],
        options: { ...options, port: registry.port, storageDir: registry.storageDir },
        proxy,
        gate,
        client,
        builder: new ImageBuilder(client),
        id,
      });
    }
  }

  /** The tree (override and deletion on, `tmp-*` tags left at the root) and the two pairs. */
  async createTopologies(): Promise<void> {
    const common = { deletion: true, reconcile: { cron: null } };
    this.topologyIds.tree = await this.create({
      name: 'fuzz-tree',
      kind: 'tree',
      ...common,
      override: true,
      filters: { excludeTags: [`${EXCLUDED_TAG_PREFIX}*`] },
      nodes: TREE_NODES.map((n) => ({
        registryId: this.node(n).id,
        parent: TREE_PARENT[n] ? this.node(TREE_PARENT[n]).id : null,
        ...(TREE_NAMESPACE[n] ? { namespace: TREE_NAMESPACE[n] } : {}),
      })),
    });
    for (const pair of PAIR_NAMES) {
      const { rule, sides } = PAIRS[pair];
      this.topologyIds[pair] = await this.create({
        name: `fuzz-${pair}`,
        kind: 'dual-master',
        ...common,
        conflict: rule,
        registries: [this.node(sides.a).id, this.node(sides.b).id],
      });
    }
  }

  private async create(body: object): Promise<string> {
    const res = await this.api.api('/api/v1/topologies', { method: 'POST', json: body });
    return (await json<{ id: string }>(res, 201)).id;
  }

  async stopRegistry(name: string): Promise<void> {
    await this.node(name).registry.stop();
  }

  /** Starts a stopped registry again: same port, same storage, same webhooks. */
  async startRegistry(name: string): Promise<void> {
    const node = this.node(name);
    node.retired.push(node.registry);
    node.registry = await startRegistry(node.options);
  }

  async killRegrelay(): Promise<void> {
    await this.regrelay.stop('SIGKILL');
    this.earlierOutput.push(this.regrelay.output());
  }

  async startRegrelay(): Promise<void> {
    this.regrelay = await startRegrelayProcess(this.env, this.main);
    await this.regrelay.waitReady(120_000);
  }

  /** What every node holds: tag → digest for each repository the fuzz uses. */
  async holdings(): Promise<Holdings> {
    const out: Holdings = new Map();
    await Promise.all(
      ALL_NODES.map(async (name) => {
        const repos = new Map<string, Map<string, string>>();
        for (const repository of REPOSITORIES) {
          const at = TREE_NODES.includes(name as never)
            ? repositoryAt(name, repository)
            : repository;
          repos.set(at, await this.tagsAt(this.node(name).client, at));
        }
        out.set(name, repos);
      }),
    );
    return out;
  }

  private async tagsAt(client: RegistryClient, repository: string): Promise<Map<string, string>> {
    let tags: string[];
    try {
      tags = await client.listTags(repository);
    } catch (error) {
      if (error instanceof NotFoundError) return new Map();
      throw error;
    }
    const found = new Map<string, string>();
    for (const tag of tags.sort()) {
      const head = await client.headManifest(repository, tag);
      if (head) found.set(tag, head.digest);
    }
    return found;
  }

  /** Why regrelay is not idle yet (events to process, executions to run, deliveries waiting), or undefined. */
  async busy(): Promise<string | undefined> {
    const events = await json<{ items: { processedAt: string | null }[] }>(
      await this.api.api('/api/v1/events?status=accepted&limit=100'),
    );
    const waiting = events.items.filter((e) => e.processedAt === null).length;
    if (waiting) return `${waiting} event(s) not processed yet`;
    for (const status of ['running', 'pending']) {
      const page = await json<{ total: number; items: ExecutionDto[] }>(
        await this.api.api(`/api/v1/executions?ownerKind=topology&status=${status}&limit=5`),
      );
      if (page.total)
        return `${page.total} topology execution(s) ${status} (${page.items.map((e) => `${e.owner.name ?? e.owner.id}/${e.owner.lane ?? '-'}`).join(', ')})`;
    }
    const status = await json<TopologyStatusDto>(
      await this.api.api(`/api/v1/topologies/${this.topologyIds.tree}/status`),
    );
    const backlog = status.nodes.filter((n) => n.waiting > 0);
    if (backlog.length)
      return `deliveries waiting for ${backlog.map((n) => `${n.registry} (${n.waiting})`).join(', ')}`;
    return undefined;
  }

  async conflicts(pair: Target): Promise<ConflictDto[]> {
    const page = await json<{ items: ConflictDto[] }>(
      await this.api.api(`/api/v1/topologies/${this.topologyIds[pair]}/conflicts?limit=500`),
    );
    return page.items;
  }

  async plan(target: Target): Promise<TopologyPlanDto> {
    return json<TopologyPlanDto>(
      await this.api.api(`/api/v1/topologies/${this.topologyIds[target]}/plan`),
    );
  }

  async sync(target: Target): Promise<void> {
    await json(
      await this.api.api(`/api/v1/topologies/${this.topologyIds[target]}/sync`, { method: 'POST' }),
      202,
    );
  }

  async executions(): Promise<ExecutionDto[]> {
    const all: ExecutionDto[] = [];
    for (let offset = 0; offset < 10_000; offset += 500) {
      const page = await json<{ total: number; items: ExecutionDto[] }>(
        await this.api.api(`/api/v1/executions?ownerKind=topology&limit=500&offset=${offset}`),
      );
      all.push(...page.items);
      if (all.length >= page.total || !page.items.length) break;
    }
    return all;
  }

  /** The last lines regrelay wrote (this process and the ones killed before it). */
  outputTail(lines = 40): string {
    const all = [...this.earlierOutput, this.regrelay?.output() ?? ''].join('\n').split('\n');
    return all.filter(Boolean).slice(-lines).join('\n');
  }

  async close(): Promise<void> {
    await this.regrelay?.stop('SIGTERM');
    for (const node of this.nodes.values()) {
      await node.client.close();
      await node.proxy.close();
      await node.gate?.close();
      // The first instance owns the storage directory: it goes last.
      for (const registry of [node.registry, ...node.retired.reverse()]) await registry.destroy();
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
