import { describe, expect, it } from '@jest/globals';
import type { RegistryEntity } from '../registries/registry.entity.js';
import { summariseResult, type Job } from './dragonfly-api.js';
import { requestFor } from './preheat-lifecycle.js';
import { planPreheats, type DeliveredTask } from './preheat-plan.js';

const registry = (id: string, platforms: string[] | null): RegistryEntity =>
  ({
    id,
    url: `https://${id}.example`,
    dragonfly: platforms
      ? {
          url: 'http://df',
          scope: 'single_seed_peer',
          platforms,
          schedulerClusterIds: [],
          passCredentials: false,
        }
      : null,
  }) as RegistryEntity;

const copy = (registryId: string, repository: string, digest: string): DeliveredTask => ({
  operation: 'copy',
  destinationRegistryId: registryId,
  destinationRepository: repository,
  digest,
});

describe('planPreheats', () => {
  const registries = new Map([
    ['a', registry('a', [])],
    ['b', registry('b', ['linux/amd64', 'linux/arm64'])],
    ['plain', registry('plain', null)],
  ]);

  it('one preheat per image and platform, by digest, only where a manager is set', () => {
    const rows = planPreheats(
      'e1',
      [
        copy('a', 'app', 'sha256:1'),
        copy('a', 'app', 'sha256:1'), // the same image under a second tag
        copy('b', 'app', 'sha256:1'),
        copy('plain', 'app', 'sha256:1'),
        { ...copy('a', 'app', 'sha256:2'), operation: 'delete' },
      ],
      registries,
    );
    expect(rows.map((r) => [r.registryId, r.platform, r.manifestUrl])).toEqual([
      ['a', '', 'https://a.example/v2/app/manifests/sha256:1'],
      ['b', 'linux/amd64', 'https://b.example/v2/app/manifests/sha256:1'],
      ['b', 'linux/arm64', 'https://b.example/v2/app/manifests/sha256:1'],
    ]);
    expect(rows.every((r) => r.executionId === 'e1')).toBe(true);
  });
});

describe('requestFor', () => {
  const settings = {
    url: 'http://df',
    scope: 'all_peers' as const,
    platforms: [],
    schedulerClusterIds: [],
    passCredentials: false,
  };
  const row = {
    executionId: 'e1',
    manifestUrl: 'https://r/v2/app/manifests/sha256:1',
    platform: '',
  };

  it('leaves out what is unset, so the manager applies its own defaults', () => {
    expect(requestFor(row, { settings })).toEqual({
      type: 'preheat',
      bio: 'regrelay execution e1',
      args: { type: 'image', url: row.manifestUrl, scope: 'all_peers' },
    });
  });

  it('adds platform, clusters and, when asked, credentials', () => {
    expect(
      requestFor(
        { ...row, platform: 'linux/arm64' },
        {
          settings: { ...settings, schedulerClusterIds: [2] },
          credentials: { username: 'u', password: 'p' },
        },
      ),
    ).toEqual({
      type: 'preheat',
      bio: 'regrelay execution e1',
      args: {
        type: 'image',
        url: row.manifestUrl,
        platform: 'linux/arm64',
        scope: 'all_peers',
        username: 'u',
        password: 'p',
      },
      scheduler_cluster_ids: [2],
    });
  });
});

describe('summariseResult', () => {
  it('counts peers over every worker result and keeps the first error', () => {
    const job = {
      id: 1,
      state: 'FAILURE',
      result: {
        job_states: [
          {
            state: 'FAILURE',
            error: '',
            results: [
              {
                success_tasks: [{ url: 'u', hostname: 'h1', ip: '1' }],
                failure_tasks: [{ url: 'u', hostname: 'h2', ip: '2', description: 'disk full' }],
                scheduler_cluster_id: 1,
              },
            ],
          },
          { state: 'FAILURE', error: 'later', results: null },
        ],
      },
    } as unknown as Job;
    expect(summariseResult(job)).toEqual({ succeeded: 1, failed: 1, error: 'disk full' });
    expect(summariseResult({ ...job, result: {} })).toEqual({
      succeeded: 0,
      failed: 0,
      error: undefined,
    });
  });
});
