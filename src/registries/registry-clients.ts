import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
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
 */
@Injectable()
export class RegistryClients implements OnApplicationShutdown {
  private readonly clients = new Map<string, { version: number; client: RegistryClient }>();
  private observer: RegistryObserver = {};
  /** REGRELAY_DENY_NETWORKS / REGRELAY_ALLOW_NETWORKS, checked on every connection. */
  private readonly addressPolicy: AddressPolicy;

  constructor(
    private readonly registries: RegistriesService,
    config: AppConfig,
  ) {
    this.addressPolicy = new AddressPolicy(config.denyNetworks, config.allowNetworks);
    registries.onChange((id) => this.evict(id));
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
