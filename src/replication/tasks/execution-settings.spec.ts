import { describe, expect, it } from '@jest/globals';
import type { PoliciesService } from '../../policies/policies.service.js';
import type { PolicyEntity } from '../../policies/policy.entity.js';
import type { RegistriesService } from '../../registries/registries.service.js';
import type { RegistryEntity } from '../../registries/registry.entity.js';
import type { ExecutionsService } from '../executions/executions.service.js';
import { ExecutionSettings } from './execution-settings.js';

function setup() {
  const reads: string[] = [];
  let failNext = false;
  let changed: ((id: string) => void) | undefined;
  const policies = {
    get: async (id: string) => {
      reads.push(`policy ${id}`);
      if (failNext) {
        failNext = false;
        throw new Error('database down');
      }
      return { id } as PolicyEntity;
    },
  } as unknown as PoliciesService;
  const registries = {
    onChange: (listener: (id: string) => void) => (changed = listener),
    get: async (id: string) => {
      reads.push(`registry ${id}`);
      return { id } as RegistryEntity;
    },
  } as unknown as RegistriesService;
  const executions = {
    eventTimes: async (id: string) => {
      reads.push(`since ${id}`);
      return id === 'event' ? { 'app:v1': '2026-01-01T00:00:00.000Z' } : null;
    },
  } as unknown as ExecutionsService;
  const settings = new ExecutionSettings(policies, registries, executions);
  let clock = 1_000_000;
  settings.now = () => clock;
  return {
    settings,
    reads,
    failOnce: () => (failNext = true),
    advance: (ms: number) => (clock += ms),
    change: (id: string) => changed!(id),
  };
}

describe('ExecutionSettings', () => {
  it('reads a policy and a registry once per execution, and again for a new execution', async () => {
    const { settings, reads } = setup();
    for (let i = 0; i < 5; i++) {
      await settings.policy('e1', 'p');
      await settings.registry('e1', 'r');
    }
    await settings.policy('e2', 'p');
    expect(reads).toEqual(['policy p', 'registry r', 'policy p']);
  });

  it('reads again after 30 s, and at once when the registry changed here', async () => {
    const { settings, reads, advance, change } = setup();
    await settings.registry('e1', 'r');
    advance(29_000);
    await settings.registry('e1', 'r');
    advance(2_000);
    await settings.registry('e1', 'r');
    change('r');
    await settings.registry('e1', 'r');
    expect(reads).toEqual(['registry r', 'registry r', 'registry r']);
  });

  it('does not keep a failed read', async () => {
    const { settings, reads, failOnce } = setup();
    failOnce();
    await expect(settings.policy('e1', 'p')).rejects.toThrow('database down');
    await expect(settings.policy('e1', 'p')).resolves.toEqual({ id: 'p' });
    expect(reads).toEqual(['policy p', 'policy p']);
  });

  it('answers event times from one read of the execution scope', async () => {
    const { settings, reads } = setup();
    expect(await settings.eventTime('event', 'app', 'v1')).toEqual(
      new Date('2026-01-01T00:00:00.000Z'),
    );
    expect(await settings.eventTime('event', 'app', 'v2')).toBeUndefined();
    expect(await settings.eventTime('full', 'app', 'v1')).toBeUndefined();
    expect(await settings.eventTime('full', 'app', 'v2')).toBeUndefined();
    expect(reads).toEqual(['since event', 'since full']);
  });
});
