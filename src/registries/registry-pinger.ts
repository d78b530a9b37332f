import { Injectable } from '@nestjs/common';
import { describeError as describe } from '../common/describe-error.js';
import type { RegistryClient } from '../oci/index.js';
import type { PingResultDto } from './dto/registry.dto.js';
import { RegistriesService } from './registries.service.js';
import { RegistryClients } from './registry-clients.js';

/** Repository used to probe capabilities; need not exist. */
const PROBE_REPOSITORY = 'regrelay-probe/capabilities';

/**
 * `POST /registries/:id/ping`: reachability and credentials (GET /v2/), then the
 * capabilities the replication engine adapts to, stored on the registry.
 */
@Injectable()
export class RegistryPinger {
  constructor(
    private readonly registries: RegistriesService,
    private readonly clients: RegistryClients,
  ) {}

  async ping(id: string): Promise<PingResultDto> {
    const registry = await this.registries.get(id);
    let client: RegistryClient;
    try {
      // Someone is waiting for the answer: one quick retry, not the transfer policy's patience.
      client = this.clients.build(registry, {
        retry: { retries: 1, minDelayMs: 200, maxDelayMs: 1000 },
      });
    } catch (error) {
      // The stored password does not open (another origin, or another key).
      return { reachable: false, latencyMs: null, capabilities: null, error: describe(error) };
    }
    try {
      return await this.probe(id, client);
    } finally {
      await client.close();
    }
  }

  private async probe(id: string, client: RegistryClient): Promise<PingResultDto> {
    const signal = AbortSignal.timeout(30_000);
    const started = performance.now();
    try {
      await client.ping({ signal });
    } catch (error) {
      return { reachable: false, latencyMs: null, capabilities: null, error: describe(error) };
    }
    const latencyMs = Math.round(performance.now() - started);
    try {
      const capabilities = await client.capabilities(PROBE_REPOSITORY, { signal });
      await this.registries.recordCapabilities(id, capabilities);
      return { reachable: true, latencyMs, capabilities, error: null };
    } catch (error) {
      return {
        reachable: true,
        latencyMs,
        capabilities: null,
        error: `capability probe failed: ${describe(error)}`,
      };
    }
  }
}
