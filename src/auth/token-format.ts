import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'rr_';
/** `rr_<public id>_<secret>`: the id is for people to tell tokens apart, and not secret. */
const GENERATED = /^rr_([A-Za-z0-9_-]{8})_[A-Za-z0-9_-]{43}$/;

/**
 * A new random API token: `rr_`, a public id (6 random bytes, base64url), `_`, and
 * the secret (32 random bytes in base64url: 256 bits). Only the secret part
 * authenticates in any meaningful sense; the id may be shown anywhere.
 */
export function generateToken(): string {
  return `${PREFIX}${randomBytes(6).toString('base64url')}_${randomBytes(32).toString('base64url')}`;
}

/**
 * The token's SHA-256 (hex): what rows held before lookups were keyed, and the input
 * of the keyed lookup value (LookupKeys). Tokens carry 256 random bits or, when an
 * operator chose one, at least 16 characters; the keyed HMAC, not a slow hash, is
 * what keeps a stolen table from being searched for guesses.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * What is shown of a token after creation, to tell tokens apart: the public id of a
 * generated token (`rr_Ab3dE9xQ_…`), else a fingerprint of its keyed lookup value
 * (`…7f3a9c01`), which says nothing about the token without the server's key.
 */
export function tokenHint(token: string, keyedLookup: string): string {
  const generated = GENERATED.exec(token);
  return generated ? `${PREFIX}${generated[1]}_…` : fingerprintHint(keyedLookup);
}

/** The hint of a token whose value is not known (rows from before hints, re-keyed). */
export function fingerprintHint(keyedLookup: string): string {
  return `…${keyedLookup.slice(-8)}`;
}
