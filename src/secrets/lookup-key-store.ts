import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { LookupKeys } from './lookup-keys.js';
import { SecretBox, SecretUnreadableError } from './secret-box.js';
import type { ResealResult } from './key-rotation.js';

/** Bound into the sealed root, so the value opens nowhere else. */
const ROOT_CONTEXT = 'lookup-key:root';

/** The lookup key root cannot be opened: no token or webhook secret could be checked. */
export class LookupKeyUnreadableError extends Error {
  override name = 'LookupKeyUnreadableError';
}

/**
 * The `lookup_key` table: one row, the installation's lookup key root, sealed with
 * REGRELAY_SECRET_KEY. The first process to start makes it; replicas starting at
 * the same time agree on one (INSERT … ON CONFLICT DO NOTHING, then read).
 */
export async function loadLookupKeys(dataSource: DataSource, box: SecretBox): Promise<LookupKeys> {
  const candidate = box.seal(randomBytes(32).toString('base64'), ROOT_CONTEXT);
  await dataSource.query(
    `INSERT INTO lookup_key (id, key_sealed) VALUES ('root', $1) ON CONFLICT (id) DO NOTHING`,
    [candidate],
  );
  const [row] = await queryRows<{ key_sealed: string }>(
    dataSource,
    `SELECT key_sealed FROM lookup_key WHERE id = 'root'`,
  );
  try {
    return new LookupKeys(Buffer.from(box.open(row!.key_sealed, ROOT_CONTEXT), 'base64'));
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    throw new LookupKeyUnreadableError(
      `The key that API tokens and webhook secrets are looked up by cannot be opened: ${error.message} ` +
        'Set REGRELAY_SECRET_KEY (or REGRELAY_SECRET_KEY_PREVIOUS) to the key this database was used with.',
    );
  }
}

/** Re-seals the root with the current key when an older one sealed it. */
export async function resealLookupKey(
  dataSource: DataSource,
  box: SecretBox,
): Promise<ResealResult> {
  const rows = await queryRows<{ key_sealed: string }>(
    dataSource,
    `SELECT key_sealed FROM lookup_key WHERE id = 'root'`,
  );
  const sealed = rows[0]?.key_sealed;
  if (!sealed || !box.isStale(sealed)) return { resealed: 0, unreadable: [] };
  try {
    const next = box.reseal(sealed, ROOT_CONTEXT);
    const updated = await queryRows(
      dataSource,
      `UPDATE lookup_key SET key_sealed = $1 WHERE id = 'root' AND key_sealed = $2 RETURNING id`,
      [next, sealed],
    );
    return { resealed: updated.length, unreadable: [] };
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    return { resealed: 0, unreadable: [`lookup key root: ${error.message}`] };
  }
}
