import type { PolicyEntity } from '../../policies/policy.entity.js';
import type { ReplicationSpec } from '../planning/replication-spec.js';
import type { ExecutionSettings } from './execution-owner.js';

/** What an execution of a policy plans. */
export function specOf(policy: PolicyEntity): ReplicationSpec {
  return {
    sourceRegistryId: policy.sourceRegistryId,
    filters: {
      repositories: policy.repositories,
      excludeRepositories: policy.excludeRepositories,
      tags: policy.tags,
      excludeTags: policy.excludeTags,
      semver: policy.tagSemver,
      latest: policy.tagLatest,
      variants: policy.variants,
    },
    destinations: [...policy.destinations]
      .sort((a, b) => a.position - b.position)
      .map((d) => ({ registryId: d.registryId, namespace: d.namespace })),
    override: policy.override,
    deletion: policy.deletion,
    referrers: policy.referrers,
  };
}

/** How a policy's tasks run. */
export function settingsOf(policy: PolicyEntity): ExecutionSettings {
  return {
    override: policy.override,
    bandwidthLimit: policy.bandwidthLimit,
    maxConcurrency: policy.maxConcurrency,
    referrers: policy.referrers,
    variants: policy.variants,
  };
}
