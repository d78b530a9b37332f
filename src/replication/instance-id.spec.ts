import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AppConfig } from '../config/app-config.js';
import { InstanceId, lineageOf } from './instance-id.js';

const embedded = (dataDir: string) => ({ dataDir, databaseUrl: undefined }) as AppConfig;

describe('InstanceId', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'regrelay-instance-'));
    await symlink(root, join(root, 'link'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names its predecessors on an embedded database by the data directory', () => {
    const first = new InstanceId(embedded(root));
    const second = new InstanceId(embedded(join(root, '.')));
    expect(first.value).not.toBe(second.value);
    expect(first.predecessors).toBe(second.predecessors);
    expect(second.value.startsWith(first.predecessors!)).toBe(true);
    expect(new InstanceId(embedded(join(root, 'other'))).predecessors).not.toBe(first.predecessors);
  });

  it('gives the same lineage to a data directory reached through a symbolic link', () => {
    expect(lineageOf(join(root, 'link'))).toBe(lineageOf(root));
  });

  it('has none with an external database: other replicas may be alive', () => {
    const shared = new InstanceId({
      dataDir: root,
      databaseUrl: 'postgres://u:p@127.0.0.1:5432/regrelay',
    } as AppConfig);
    expect(shared.lineage).toBeUndefined();
    expect(shared.predecessors).toBeUndefined();
    expect(shared.value).toMatch(/^[^/]+:\d+:[0-9a-f]{8}$/);
  });
});
