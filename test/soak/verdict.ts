import { NotFoundError, RegistryClient } from '../../src/oci/index.js';
import type { NotificationSink } from '../support/notification-sink.js';
import type { SourceModel } from './source-model.js';

/** tag → digest, per repository. */
export type Contents = Map<string, Map<string, string>>;

/** What a registry holds in the given repositories (read directly, not through a proxy). */
export async function contentsOf(url: string, repositories: readonly string[]): Promise<Contents> {
  const client = new RegistryClient({ name: url, url });
  try {
    const contents: Contents = new Map();
    for (const repository of repositories) {
      const tags = new Map<string, string>();
      let names: string[] = [];
      try {
        names = await client.listTags(repository);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error; // never written there: empty
      }
      for (const tag of names) {
        const head = await client.headManifest(repository, tag);
        if (head) tags.set(tag, head.digest);
      }
      contents.set(repository, tags);
    }
    return contents;
  } finally {
    await client.close();
  }
}

/** One way a registry differs from what the source says. */
export interface Difference {
  repository: string;
  tag: string;
  /** What the source has there (undefined: the source no longer has the tag). */
  expected?: string;
  /** What the registry has there (undefined: missing). */
  found?: string;
}

/** Every difference between what `actual` holds and what `expected` says. */
export function differences(expected: Contents, actual: Contents): Difference[] {
  const found: Difference[] = [];
  for (const [repository, tags] of expected) {
    const there = actual.get(repository) ?? new Map<string, string>();
    for (const [tag, digest] of tags)
      if (there.get(tag) !== digest)
        found.push({ repository, tag, expected: digest, found: there.get(tag) });
    for (const [tag, digest] of there)
      if (!tags.has(tag)) found.push({ repository, tag, found: digest });
  }
  return found;
}

export function describeDifference(where: string, d: Difference): string {
  return d.expected === undefined
    ? `${where}: ${d.repository}:${d.tag} (${d.found}) is gone from the source`
    : `${where}: ${d.repository}:${d.tag} is ${d.found ?? 'missing'}, the source has ${d.expected}`;
}

/**
 * Tag pushes a destination reported beyond the number of times the source set that
 * tag to that digest: the mark of a task that succeeded twice.
 */
export function extraPushes(where: string, sink: NotificationSink, model: SourceModel): string[] {
  const pushes = new Map<string, { repository: string; tag: string; digest: string; n: number }>();
  for (const e of sink.events) {
    const { repository, tag, digest } = e.target;
    if (e.action !== 'push' || !repository || !tag || !digest) continue;
    const key = `${repository}:${tag}@${digest}`;
    const entry = pushes.get(key) ?? { repository, tag, digest, n: 0 };
    entry.n++;
    pushes.set(key, entry);
  }
  const problems: string[] = [];
  for (const { repository, tag, digest, n } of pushes.values()) {
    const set = model.timesSet(repository, tag, digest);
    if (n > set)
      problems.push(
        `${where}: ${repository}:${tag} was pushed ${n} times with ${digest}, set ${set} times at the source`,
      );
  }
  return problems;
}

/** Tag pushes a sink saw in all. */
export function tagPushCount(sink: NotificationSink): number {
  return sink.events.filter((e) => e.action === 'push' && e.target.tag).length;
}
