import pg from 'pg';
import { EntityManager, type DataSource } from 'typeorm';

/**
 * Runs raw SQL and returns its rows, whatever the statement. (TypeORM's `query()`
 * returns `[rows, count]` for UPDATE and DELETE but plain rows otherwise, which makes
 * `UPDATE … RETURNING` easy to misread.) Inside a transaction pass its manager.
 */
export async function queryRows<T>(
  source: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const inTransaction = source instanceof EntityManager ? source.queryRunner : undefined;
  if (inTransaction) return (await inTransaction.query(sql, params, true)).records as T[];
  const dataSource = source instanceof EntityManager ? source.connection : source;
  const runner = dataSource.createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).records as T[];
  } finally {
    await runner.release();
  }
}

/** A value `inlineParameters` can write as a literal. */
export type LiteralValue = number | string | boolean | null | readonly string[];

/**
 * `sql` with its `$N` placeholders replaced by literals of `values`, for the simple
 * query protocol (which takes no parameters). Numbers must be finite; strings are
 * quoted with PostgreSQL's own escaping (pg's escapeLiteral); arrays become
 * `ARRAY[…]` of quoted strings (cast them in the SQL, as `$4::uuid[]`).
 */
export function inlineParameters(sql: string, values: readonly LiteralValue[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= values.length) throw new Error(`no value for $${n}`);
    return literal(values[index]!);
  });
}

function literal(value: LiteralValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return pg.escapeLiteral(value);
  return `ARRAY[${value.map((v) => pg.escapeLiteral(v)).join(', ')}]`;
}

/**
 * Runs one statement while holding transaction-level advisory lock `key`, in a single
 * round trip: the lock and the statement go as one simple-protocol query, which
 * PostgreSQL runs as one implicit transaction (the lock is held to its end), and in
 * READ COMMITTED the statement's snapshot is taken after the lock was granted, so it
 * sees what the previous holder committed. `statement` carries its values as
 * literals (see inlineParameters). Returns the statement's rows.
 */
export async function queryUnderLock<T>(
  dataSource: DataSource,
  key: number,
  statement: string,
): Promise<T[]> {
  if (!Number.isSafeInteger(key)) throw new Error(`not an advisory lock key: ${key}`);
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as pg.ClientBase;
    // No values: node-postgres sends a simple query, which may hold several statements.
    // (A connection that broke mid-query is not queryable; the pool drops it on release.)
    const results = (await client.query(
      `SELECT pg_advisory_xact_lock(${key}); ${statement}`,
    )) as unknown as pg.QueryResult[];
    return results[1]!.rows as T[];
  } finally {
    await runner.release();
  }
}
