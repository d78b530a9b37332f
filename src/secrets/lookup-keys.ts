import { createHmac, hkdfSync } from 'node:crypto';

/** What a lookup key finds: each purpose has its own key, so values never match across. */
export type LookupPurpose = 'api-token' | 'webhook-secret';

/** Marks a keyed lookup value; older rows hold a bare SHA-256 until re-keyed at start. */
const KEYED_PREFIX = 'hmac:';

/**
 * Lookup keys for secrets that callers present to regrelay (API tokens, webhook
 * secrets): a request finds its row by one indexed equality on
 * `hmac:` + HMAC-SHA256(purpose key, SHA-256 of the presented value).
 *
 * Keyed, unlike a bare hash, so that a copy of the database alone does not let anyone
 * test guesses of a chosen token or webhook secret offline. The purpose keys derive
 * (HKDF-SHA256) from a random 32-byte root made once per installation and stored
 * sealed with REGRELAY_SECRET_KEY (see LookupKeyStore): rotating REGRELAY_SECRET_KEY
 * re-seals the root and leaves every lookup value valid, which deriving straight from
 * REGRELAY_SECRET_KEY could not do (a token's HMAC cannot be recomputed without the
 * token). The inner SHA-256 is what the rows held before keying, so existing rows are
 * re-keyed without knowing their secrets.
 */
export class LookupKeys {
  private readonly keys: Record<LookupPurpose, Buffer>;

  constructor(root: Buffer) {
    if (root.length !== 32) throw new Error('the lookup key root must be 32 bytes');
    this.keys = {
      'api-token': derive(root, 'api-token'),
      'webhook-secret': derive(root, 'webhook-secret'),
    };
  }

  /** The stored lookup value for a presented secret's SHA-256 (hex). */
  keyed(purpose: LookupPurpose, digest: string): string {
    return (
      KEYED_PREFIX + createHmac('sha256', this.keys[purpose]).update(digest, 'utf8').digest('hex')
    );
  }

  /** True for a value already keyed; false for a bare SHA-256 from before. */
  static isKeyed(value: string): boolean {
    return value.startsWith(KEYED_PREFIX);
  }
}

function derive(root: Buffer, purpose: LookupPurpose): Buffer {
  return Buffer.from(
    hkdfSync('sha256', root, Buffer.alloc(0), `regrelay lookup v1 ${purpose}`, 32),
  );
}
