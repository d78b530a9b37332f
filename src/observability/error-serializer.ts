/**
 * The one way errors become log fields (pino's `err` and `error` serializers, for the
 * root logger and every request logger).
 *
 * SQL never reaches a log line: TypeORM's QueryFailedError carries the statement
 * (`query`) and its values (`parameters`), and copies the driver's fields onto itself,
 * among them `detail` ("Key (token_hash)=(…) already exists") and `where`. For a
 * database error only fields that name things (code, constraint, table, column…) are
 * kept; for any error, the string values of SQL parameters found anywhere in its chain
 * are cut out of what is kept (PostgreSQL quotes a bad value in some messages:
 * `invalid input syntax for type uuid: "…"`).
 */

/** Fields of a database error that name things and never quote values. */
const DATABASE_FIELDS = [
  'code',
  'severity',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'routine',
] as const;

/** Never logged, whatever error carries them. */
const DROPPED = new Set([
  'query',
  'parameters',
  'driverError',
  'detail',
  'where',
  'internalQuery',
  'raw',
]);

/** Parameter values shorter than this are not cut out: they would cut ordinary words. */
const MIN_SCRUBBED_LENGTH = 4;
const MAX_DEPTH = 5;

interface ErrorLike {
  message: string;
  stack?: string;
  name?: string;
  cause?: unknown;
  errors?: unknown;
  [key: string]: unknown;
}

export function serializeError(value: unknown): unknown {
  const err = original(value);
  if (!isErrorLike(err)) return value;
  return serialize(err, scrubberFor(err), 0);
}

/** An error's message as it may appear in a log line (e.g. "failed to start: …"). */
export function loggableMessage(error: unknown): string {
  const err = original(error);
  if (!isErrorLike(err)) return String(error);
  return scrubberFor(err)(err.message);
}

function serialize(err: ErrorLike, scrub: (text: string) => string, depth: number) {
  const out: Record<string, unknown> = {
    type: typeof err.constructor === 'function' ? err.constructor.name : err.name,
    message: scrub(err.message),
  };
  if (typeof err.stack === 'string') out.stack = scrub(err.stack);
  const nested = (value: unknown) =>
    depth < MAX_DEPTH && isErrorLike(value) ? serialize(value, scrub, depth + 1) : undefined;
  if (isDatabaseError(err)) {
    for (const key of DATABASE_FIELDS) {
      const field = err[key];
      if (typeof field === 'string' || typeof field === 'number') out[key] = scrub(String(field));
    }
  } else {
    for (const [key, field] of Object.entries(err)) {
      if (DROPPED.has(key) || key === 'cause' || key === 'errors') continue;
      if (isErrorLike(field)) out[key] = nested(field);
      else out[key] = typeof field === 'string' ? scrub(field) : field;
    }
  }
  if (err.cause !== undefined) out.cause = nested(err.cause) ?? '[not an error]';
  if (Array.isArray(err.errors)) out.errors = err.errors.map((e) => nested(e) ?? '[not an error]');
  return out;
}

/** pino-http hands custom serializers pino's own serialization; its `raw` is the error. */
function original(value: unknown): unknown {
  const raw = (value as { raw?: unknown } | null)?.raw;
  return isErrorLike(raw) ? raw : value;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string'
  );
}

/** TypeORM's QueryFailedError, or the driver's (pg) DatabaseError itself. */
function isDatabaseError(err: ErrorLike): boolean {
  return (
    'parameters' in err ||
    'driverError' in err ||
    (typeof err.severity === 'string' && typeof err.routine === 'string')
  );
}

/** Cuts the string values of every SQL parameter in the error's chain out of a text. */
function scrubberFor(err: ErrorLike): (text: string) => string {
  const values = new Set<string>();
  const collect = (e: unknown, depth: number) => {
    if (!isErrorLike(e) || depth > MAX_DEPTH) return;
    if (Array.isArray(e.parameters))
      for (const p of e.parameters as unknown[]) {
        const text =
          typeof p === 'string' ? p : typeof p === 'object' && p ? JSON.stringify(p) : '';
        if (text.length >= MIN_SCRUBBED_LENGTH) values.add(text);
      }
    collect(e.driverError, depth + 1);
    collect(e.cause, depth + 1);
    if (Array.isArray(e.errors)) for (const inner of e.errors) collect(inner, depth + 1);
  };
  collect(err, 0);
  // Longest first, so a value containing another is cut whole.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, value) => out.split(value).join('[redacted]'), text);
}
