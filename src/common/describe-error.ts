import { RegistryError } from '../oci/index.js';

/** Descriptions are stored in task reasons and ping results: one line, bounded. */
const MAX_DESCRIPTION_CHARS = 1000;

/** One line for people: what happened, and for registry errors what to try. */
export function describeError(error: unknown): string {
  const text =
    error instanceof RegistryError
      ? `${error.message}. ${error.hint}`
      : error instanceof Error
        ? error.message
        : String(error);
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > MAX_DESCRIPTION_CHARS ? `${flat.slice(0, MAX_DESCRIPTION_CHARS)}…` : flat;
}
