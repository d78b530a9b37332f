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
