/**
 * Remembers, per destination registry, one repository known to hold each blob, so
 * a blob shared by many repositories (base layers) is mounted there instead of sent
 * again. Bounded: least recently used entries go first.
 */
export class BlobLocator {
  private readonly entries = new Map<string, string>();

  constructor(private readonly capacity = 100_000) {}

  find(registryId: string, digest: string): string | undefined {
    const key = `${registryId}|${digest}`;
    const repository = this.entries.get(key);
    if (repository !== undefined) {
      this.entries.delete(key); // refresh recency
      this.entries.set(key, repository);
    }
    return repository;
  }

  remember(registryId: string, digest: string, repository: string): void {
    const key = `${registryId}|${digest}`;
    this.entries.delete(key);
    this.entries.set(key, repository);
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}
