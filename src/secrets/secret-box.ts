import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A sealed value could not be opened: wrong key, or the stored bytes were altered. */
export class SecretUnreadableError extends Error {
  override name = 'SecretUnreadableError';
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest (registry passwords, webhook secrets).
 *
 * Sealed form: `v1:<key id>:<base64url(iv | tag | ciphertext)>`. The key id (first 8
 * hex characters of SHA-256 of the key) names the key that sealed a value, so a
 * rotated-out key can still open old values while new ones use the current key.
 * An optional `context` (e.g. "registry:<id>:password") is bound as additional
 * authenticated data: a value copied into another row does not open there.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    for (const key of [currentKey, ...previousKeys]) {
      if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
      this.keys.set(keyId(key), key);
    }
    this.currentId = keyId(currentKey);
  }

  seal(plaintext: string, context = ''): string {
    const key = this.keys.get(this.currentId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    return `${VERSION}:${this.currentId}:${packed}`;
  }

  open(sealed: string, context = ''): string {
    const [version, id, packed] = sealed.split(':');
    if (version !== VERSION || !id || packed === undefined) {
      throw new SecretUnreadableError('not a sealed secret (unknown format)');
    }
    const key = this.keys.get(id);
    if (!key) {
      throw new SecretUnreadableError(
        `sealed with key ${id}, which is not configured; was REGRELAY_SECRET_KEY changed?`,
      );
    }
    const raw = Buffer.from(packed, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES)
      throw new SecretUnreadableError('sealed secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretUnreadableError(
        'sealed secret failed authentication (altered, or another context)',
      );
    }
  }

  /** True when a value was sealed with an older key and should be re-sealed. */
  isStale(sealed: string): boolean {
    return sealed.split(':')[1] !== this.currentId;
  }

  /** The value sealed again with the current key; SecretUnreadableError when it cannot be opened. */
  reseal(sealed: string, context = ''): string {
    return this.seal(this.open(sealed, context), context);
  }
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
