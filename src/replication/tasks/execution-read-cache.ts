import { Injectable } from '@nestjs/common';
import { RegistriesService } from '../../registries/registries.service.js';
import type { RegistryEntity } from '../../registries/registry.entity.js';
import { ExecutionsService } from '../executions/executions.service.js';

/** Re-read after this long, so a long execution sees what another replica changed. */
const MAX_AGE_MS = 30_000;
/** Entries kept at most (oldest go first); a few per running execution. */
const CAPACITY = 1000;

interface Entry {
  at: number;
  value: Promise<unknown>;
}

/**
 * A per-execution read cache for what each task reads before it runs (the
 * registries it copies between, when events reported its tags): read once per
 * execution on this replica rather than once per task (500 small tags used to cost
 * 2,500 such queries). Keys include the execution, so a new execution always starts
 * from fresh reads; a registry changed on this replica is re-read at once; anything
 * else at most MAX_AGE_MS late. A failed read is not kept. (Settings such as
 * override come with the task's claim and need no cache.)
 */
@Injectable()
export class ExecutionReadCache {
  private readonly entries = new Map<string, Entry>();
  /** The clock (tests move it). */
  now: () => number = Date.now;

  constructor(
    private readonly registries: RegistriesService,
    private readonly executions: ExecutionsService,
  ) {
    registries.onChange((id) => {
      for (const key of this.entries.keys())
        if (key.endsWith(`|registry|${id}`)) this.entries.delete(key);
    });
  }

  registry(executionId: string, registryId: string): Promise<RegistryEntity> {
    return this.read(`${executionId}|registry|${registryId}`, () =>
      this.registries.get(registryId),
    );
  }

  /** When an event reported `repository:tag` (event-driven executions), else undefined. */
  async eventTime(executionId: string, repository: string, tag: string): Promise<Date | undefined> {
    // An execution's scope is fixed once it runs (triggers join only waiting ones).
    const since = await this.read(`${executionId}|since`, () =>
      this.executions.eventTimes(executionId),
    );
    const at = since?.[`${repository}:${tag}`];
    return at ? new Date(at) : undefined;
  }

  private read<T>(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at < MAX_AGE_MS) return cached.value as Promise<T>;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
