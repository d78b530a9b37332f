/** Keys whose string values are secrets (or derived from one) wherever they appear. */
const SECRET_KEY = /password|secret|token|credential|authorization|sealed|hash|private/i;
/** Values that are secrets whatever their key: regrelay's own tokens and webhook secrets. */
const SECRET_VALUE = /^(rr_|rrwh_)[A-Za-z0-9_-]{16,}/;
const REDACTED = '[redacted]';
/** An audit entry's before/after is for people to read, not a data dump. */
const MAX_STATE_BYTES = 64 * 1024;
const MAX_DEPTH = 8;

/**
 * A resource's state as the audit log stores it: a JSON copy with every secret
 * replaced by "[redacted]" (by key, e.g. `password`, `webhookSecret`, `tokenHash`, and
 * by shape, e.g. an `rr_…` token under any key), and cut to a marker when it is
 * larger than MAX_STATE_BYTES. Booleans such as `hasPassword` stay: they say that a
 * secret exists, not what it is.
 */
export function auditState(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const redacted = redact(JSON.parse(JSON.stringify(value)) as unknown, 0);
  const bytes = Buffer.byteLength(JSON.stringify(redacted));
  return bytes > MAX_STATE_BYTES ? { truncated: true, bytes } : redacted;
}

function redact(value: unknown, depth: number, key = ''): unknown {
  if (typeof value === 'string')
    return SECRET_KEY.test(key) || SECRET_VALUE.test(value) ? REDACTED : value;
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, key));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, depth + 1, k)]));
}
