import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LookupKeys } from '../secrets/lookup-keys.js';

/**
 * Caller-chosen webhook secrets: visible ASCII without spaces (they travel in an
 * `Authorization` header, verbatim or after `Bearer `), 16 to 256 characters.
 */
export const WEBHOOK_SECRET_PATTERN = /^[\x21-\x7e]{16,256}$/;

const PREFIX = 'rrwh_';

/** A new webhook secret: `rrwh_` + 32 random bytes in base64url (256 bits). */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The SHA-256 a webhook secret's lookup value is keyed from: what rows held before
 * lookups were keyed, so those are re-keyed without opening their secrets.
 */
export function webhookSecretDigest(secret: string): string {
  return createHash('sha256').update(`regrelay-webhook:${secret}`, 'utf8').digest('hex');
}

/**
 * The value an incoming request finds its registry by, with one indexed equality
 * instead of decrypting every registry's sealed secret: keyed with the server's
 * lookup key (LookupKeys), so a copy of the table does not let anyone test guesses
 * of a caller-chosen secret offline.
 */
export function webhookSecretLookupKey(secret: string, keys: LookupKeys): string {
  return keys.keyed('webhook-secret', webhookSecretDigest(secret));
}

/** Constant-time equality of two secrets (of any lengths). */
export function sameWebhookSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The secret in an `Authorization` header: `Bearer <secret>` (distribution's
 * configured header), or the whole value (Harbor sends its "auth header" verbatim).
 */
export function webhookSecretFromHeader(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  const secret = bearer ? bearer[1]! : value;
  return WEBHOOK_SECRET_PATTERN.test(secret) ? secret : undefined;
}

/** The secret in a `?secret=` query value (one value; Express may parse several or an object). */
export function webhookSecretFromQuery(value: unknown): string | undefined {
  return typeof value === 'string' && WEBHOOK_SECRET_PATTERN.test(value) ? value : undefined;
}
