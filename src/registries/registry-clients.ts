import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { runPeriodically } from '../common/periodic.js';
import { AppConfig } from '../config/app-config.js';
import {
  AddressPolicy,
  RegistryClient,
  type RegistryClientOptions,
  type RegistryObserver,
} from '../oci/index.js';
import { RegistriesService } from './registries.service.js';
import type { RegistryEntity } from './registry.entity.js';

/** The default cap on requests in flight to one registry. */
const DEFAULT_CONCURRENCY = 16;

/**
 * One RegistryClient per registry, shared by every task and planner in the process,
 * so connections are pooled and the registry's concurrency and bandwidth limits
 * hold across all of them. Rebuilt when the registry's settings change.
 *
 * A change made through this process evicts at once. One made on another replica is
 * found by a periodic sweep (REGRELAY_REGISTRY_CLIENT_SWEEP_SECONDS): cached clients of
 * registries deleted or changed since are closed, so their connections and pools do
 * not linger for the life of the process.
 */
@Injectable()
export class RegistryClients implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RegistryClients.name);
  private readonly clients = new Map<string, { version: number; client: RegistryClient }>();
  private observer: RegistryObserver = {};
  private stopSweeping: (() => void) | undefined;
  /** REGRELAY_DENY_NETWORKS / REGRELAY_ALLOW_NETWORKS, checked on every connection. */
  private readonly addressPolicy: AddressPolicy;

  constructor(
    private readonly registries: RegistriesService,
    private readonly config: AppConfig,
  ) {
    this.addressPolicy = new AddressPolicy(config.denyNetworks, config.allowNetworks);
    registries.onChange((id) => this.evict(id));
  }

  onApplicationBootstrap(): void {
    this.stopSweeping = runPeriodically(
      () => this.sweep(),
      { everyMs: this.config.registryClientSweepMs },
      (error) => this.logger.warn({ err: error }, 'Checking cached registry clients failed'),
    );
  }

  /** Ids of the registries a client is cached for. */
  cachedIds(): string[] {
    return [...this.clients.keys()];
  }

  /** Closes the cached clients of registries deleted, or changed, since they were built. */
  async sweep(): Promise<void> {
    const ids = this.cachedIds();
    if (!ids.length) return;
    const current = await this.registries.getMany(ids);
    for (const id of ids) {
      const cached = this.clients.get(id);
      const row = current.get(id);
      if (cached && (!row || row.updatedAt.getTime() !== cached.version)) this.evict(id);
    }
  }

  /** Set once by the replication module, which owns the metrics. */
  observe(observer: RegistryObserver): void {
    this.observer = observer;
  }

  forRegistry(registry: RegistryEntity): RegistryClient {
    const version = registry.updatedAt.getTime();
    const cached = this.clients.get(registry.id);
    if (cached && cached.version === version) return cached.client;
    if (cached) void cached.client.close();
    const client = this.build(registry);
    this.clients.set(registry.id, { version, client });
    return client;
  }

  /** A client of its own (the caller closes it), e.g. with other retry settings. */
  build(registry: RegistryEntity, overrides: Partial<RegistryClientOptions> = {}): RegistryClient {
    const concurrency = registry.maxConcurrentRequests ?? DEFAULT_CONCURRENCY;
    return new RegistryClient({
      name: registry.name,
      url: registry.url,
      credentials: this.registries.credentials(registry),
      tokenRealmHosts: registry.tokenRealmHosts,
      addressPolicy: this.addressPolicy,
      tls: { caCert: registry.caCert ?? undefined, insecureSkipVerify: registry.insecureTls },
      limits: {
        connections: concurrency,
        maxConcurrentRequests: concurrency,
        bandwidthBytesPerSecond: registry.bandwidthLimit ?? undefined,
      },
      observer: {
        onRequest: (e) => this.observer.onRequest?.(e),
        onRetry: (e) => this.observer.onRetry?.(e),
      },
      ...overrides,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopSweeping?.();
    await Promise.all([...this.clients.values()].map(({ client }) => client.close()));
    this.clients.clear();
  }

  private evict(id: string): void {
    const cached = this.clients.get(id);
    this.clients.delete(id);
    // close() lets in-flight requests finish, so running transfers are not cut.
    if (cached) void cached.client.close();
  }
}
