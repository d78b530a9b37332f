import {
  DeniedError,
  NotFoundError,
  UnauthorizedError,
  UnsupportedError,
  RegistryError,
} from './errors.js';
import type { ReferrerOps } from './referrers.js';
import type { Transport } from './request.js';
import { CATALOG_SCOPE, repositoryScope } from './scope.js';

/** What a registry endpoint offers. Plain data: the caller stores and reuses it. */
export interface Capabilities {
  referrersApi: boolean;
  tagDelete: boolean;
  catalog: boolean;
}

/** A well-formed digest that no registry holds content for. */
const PROBE_DIGEST = `sha256:${'0'.repeat(64)}`;
/** A tag no repository has, for the non-destructive tag-delete probe. */
const PROBE_TAG = 'regrelay-capability-probe-0';

/**
 * Probes without changing anything. `repository` is one the credentials may read
 * (and delete in, for a meaningful tagDelete answer); it need not exist.
 */
export async function probeCapabilities(
  t: Transport,
  referrers: ReferrerOps,
  repository: string,
  signal?: AbortSignal,
): Promise<Capabilities> {
  const [referrersApi, tagDelete, catalog] = await Promise.all([
    referrers.hasApi(repository, PROBE_DIGEST, signal).catch(() => false),
    probeTagDelete(t, repository, signal),
    probeCatalog(t, signal),
  ]);
  return { referrersApi, tagDelete, catalog };
}

/**
 * DELETE of a tag that does not exist: a registry that deletes tags says 404
 * MANIFEST_UNKNOWN; distribution 2.8.2 says 400 DIGEST_INVALID (tags are not
 * deletable); 405 means deletes are off altogether.
 */
async function probeTagDelete(
  t: Transport,
  repository: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await t.send({
      method: 'DELETE',
      url: `/v2/${repository}/manifests/${PROBE_TAG}`,
      scopes: [repositoryScope(repository, 'delete')],
      context: { repository, reference: PROBE_TAG },
      expect: [202, 200],
      retry: false,
      signal,
    });
    return true;
  } catch (error) {
    // NAME_UNKNOWN only says the repository is missing, not how deletes behave.
    if (error instanceof NotFoundError) return error.code !== 'NAME_UNKNOWN';
    return false;
  }
}

async function probeCatalog(t: Transport, signal?: AbortSignal): Promise<boolean> {
  try {
    await t.send({
      method: 'GET',
      url: '/v2/_catalog?n=1',
      scopes: [CATALOG_SCOPE],
      context: {},
      expect: [200],
      retry: false,
      signal,
    });
    return true;
  } catch (error) {
    if (
      error instanceof NotFoundError ||
      error instanceof UnsupportedError ||
      error instanceof UnauthorizedError ||
      error instanceof DeniedError
    ) {
      return false;
    }
    if (error instanceof RegistryError) return false;
    throw error;
  }
}
