import { InvalidReferenceError } from './errors.js';

/**
 * The distribution spec grammar, checked before any request: a bad name would
 * otherwise reach the registry as a path (`../`, `?`, spaces) and come back as a
 * confusing 404 or, worse, address something else.
 */
const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const ENCODED: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

/** Repository names longer than this are refused by most registries (with the host). */
const MAX_REPOSITORY_LENGTH = 255;

export function isRepository(name: string): boolean {
  return name.length <= MAX_REPOSITORY_LENGTH && REPOSITORY.test(name);
}

export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** A digest we can verify: sha256 or sha512 with the right hex length. */
export function isDigest(digest: string): boolean {
  if (!DIGEST.test(digest)) return false;
  const [algorithm, encoded] = splitDigest(digest);
  return ENCODED[algorithm]?.test(encoded) ?? false;
}

export function splitDigest(digest: string): [algorithm: string, encoded: string] {
  const at = digest.indexOf(':');
  return [digest.slice(0, at), digest.slice(at + 1)];
}

export function assertRepository(registry: string, repository: string): void {
  if (!isRepository(repository)) {
    throw new InvalidReferenceError(`invalid repository name ${JSON.stringify(repository)}`, {
      registry,
    });
  }
}

export function assertDigest(registry: string, repository: string, digest: string): void {
  assertRepository(registry, repository);
  if (!isDigest(digest)) {
    throw new InvalidReferenceError(
      `invalid digest ${JSON.stringify(digest)} (sha256 or sha512, lower-case hex)`,
      { registry, repository },
    );
  }
}

export function assertTag(registry: string, repository: string, tag: string): void {
  assertRepository(registry, repository);
  if (!isTag(tag)) {
    throw new InvalidReferenceError(`invalid tag ${JSON.stringify(tag)}`, { registry, repository });
  }
}

/** A manifest reference is a tag or a digest; returns which. */
export function assertManifestReference(
  registry: string,
  repository: string,
  reference: string,
): 'tag' | 'digest' {
  assertRepository(registry, repository);
  if (reference.includes(':')) {
    assertDigest(registry, repository, reference);
    return 'digest';
  }
  assertTag(registry, repository, reference);
  return 'tag';
}
