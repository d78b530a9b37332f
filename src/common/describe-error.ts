import { RegistryError } from '../oci/index.js';

/** One line for people: what happened, and for registry errors what to try. */
export function describeError(error: unknown): string {
  if (error instanceof RegistryError) return `${error.message}. ${error.hint}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
