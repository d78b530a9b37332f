import type { RegistryEntity } from '../registries/registry.entity.js';
import type { NewPreheat } from './preheat-store.js';

/** What the plan needs of a delivered task. */
export interface DeliveredTask {
  operation: 'copy' | 'delete';
  destinationRegistryId: string;
  destinationRepository: string;
  digest: string;
}

/**
 * The preheats for what an execution delivered: one per image copied to a registry
 * with a Dragonfly manager, per platform the registry asks for ('' = the manager's
 * default). By digest, the one regrelay wrote (a tag may have moved on since), and
 * once per image however many tags pointed at it.
 */
export function planPreheats(
  executionId: string,
  delivered: Iterable<DeliveredTask>,
  registries: ReadonlyMap<string, RegistryEntity>,
): NewPreheat[] {
  const rows = new Map<string, NewPreheat>();
  for (const task of delivered) {
    if (task.operation !== 'copy') continue;
    const registry = registries.get(task.destinationRegistryId);
    if (!registry?.dragonfly) continue;
    const platforms = registry.dragonfly.platforms.length ? registry.dragonfly.platforms : [''];
    for (const platform of platforms) {
      const row: NewPreheat = {
        executionId,
        registryId: registry.id,
        repository: task.destinationRepository,
        digest: task.digest,
        platform,
        manifestUrl: manifestUrl(registry.url, task.destinationRepository, task.digest),
      };
      rows.set([row.registryId, row.repository, row.digest, platform].join('\u0000'), row);
    }
  }
  return [...rows.values()];
}

/** The manifest URL form the manager parses: `<scheme>://<host>/v2/<repository>/manifests/<ref>`. */
export function manifestUrl(registryUrl: string, repository: string, reference: string): string {
  return `${registryUrl}/v2/${repository}/manifests/${reference}`;
}
