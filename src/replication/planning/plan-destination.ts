import type { RegistryClient } from '../../oci/index.js';

/** A destination of a plan, ready to be asked. */
export interface PlanDestination {
  registryId: string;
  /** Prefix for destination repositories (`mirror` puts `a/b` at `mirror/a/b`). */
  namespace: string | null;
  client: RegistryClient;
}
