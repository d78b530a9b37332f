import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'rr_';

/** A new random API token: `rr_` + 32 random bytes in base64url (256 bits). */
export function generateToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Tokens carry 256 random bits, so a fast hash is enough (no brute force to slow
 * down), and it lets a request look its token up by an indexed equality.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What is shown of a token after creation: enough to recognise it, not to use it. */
export function tokenPrefix(token: string): string {
  return token.slice(0, PREFIX.length + 6);
}
