import pg from 'pg';
import { EntityManager, type DataSource } from 'typeorm';

/**
 * Runs raw SQL and returns its rows, whatever the statement. (TypeORM's `query()`
 * returns `[rows, count]` for UPDATE and DELETE but plain rows otherwise, which makes
 * `UPDATE … RETURNING` easy to misread.) Inside a transaction pass its manager.
 *
 * `name` makes it a named prepared statement: each connection parses it once, and
 * PostgreSQL may keep a generic plan, where an unnamed statement is parsed and planned
 * on every call. Only for fixed SQL run on every task: each name holds its statement
 * on every pooled connection for that connection's life.
 */
export async function queryRows<T>(
  source: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
  name?: string,
): Promise<T[]> {
  const inTransaction = source instanceof EntityManager ? source.queryRunner : undefined;
  const dataSource = source instanceof EntityManager ? source.connection : source;
  const runner = inTransaction ?? dataSource.createQueryRunner();
  try {
    if (!name) return (await runner.query(sql, params, true)).records as T[];
    const client = (await runner.connect()) as pg.ClientBase;
    return (
      await client.query<T & pg.QueryResultRow>({
        name: statementName(name),
        text: sql,
        values: params,
      })
    ).rows;
  } finally {
    if (!inTransaction) await runner.release();
  }
}

/**
 * A value `queryUnderLock` can write as a literal for the simple query protocol
 * (which takes no parameters). Numbers must be finite; strings are quoted with
 * PostgreSQL's own escaping (pg's escapeLiteral); arrays become `ARRAY[…]` of quoted
 * strings.
 */
export type LiteralValue = number | string | boolean | null | readonly string[];

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
 * A statement `queryUnderLock` prepares once per connection (PREPARE) and then runs
 * with EXECUTE: parsing and planning a large statement on every call costs the server
 * more than running it. `types` are its parameters' SQL types, in order.
 */
export interface PreparedStatement {
  name: string;
  sql: string;
  types: readonly string[];
}

/** Which prepared statements each pooled connection holds (a new connection holds none). */
const prepared = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * Runs one statement while holding transaction-level advisory lock `key`, in a single
 * round trip: the lock and the statement go as one simple-protocol query, which
 * PostgreSQL runs as one implicit transaction (the lock is held to its end), and in
 * READ COMMITTED the statement's snapshot is taken after the lock was granted, so it
 * sees what the previous holder committed. The statement is prepared on the
 * connection the first time it meets it there, and its values go to EXECUTE as
 * literals (see LiteralValue). Returns the statement's rows.
 *
 * A statement whose rows change shape (a migration added a column to a table it
 * returns `*` of: another replica's, during a rolling update) fails once with
 * "cached plan must not change result type"; it is then prepared again and run again.
 */
export async function queryUnderLock<T>(
  dataSource: DataSource,
  key: number,
  statement: PreparedStatement,
  values: readonly LiteralValue[],
): Promise<T[]> {
  if (!Number.isSafeInteger(key)) throw new Error(`not an advisory lock key: ${key}`);
  const name = statementName(statement.name);
  if (values.length !== statement.types.length) {
    throw new Error(`${name} takes ${statement.types.length} values, got ${values.length}`);
  }
  const args = values.map((v, i) => `${literal(v)}::${statement.types[i]}`).join(', ');
  const execute = values.length ? `EXECUTE ${name}(${args})` : `EXECUTE ${name}`;
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as pg.ClientBase;
    // (A connection that broke mid-query is not queryable; the pool drops it on release.)
    const run = async () => {
      await prepareOnce(client, name, statement);
      // No values: node-postgres sends a simple query, which may hold several statements.
      const results = (await client.query(
        `SELECT pg_advisory_xact_lock(${key}); ${execute}`,
      )) as unknown as pg.QueryResult[];
      return results[1]!.rows as T[];
    };
    try {
      return await run();
    } catch (error) {
      if (!isStaleResultType(error)) throw error;
      // The failed query's implicit transaction ended (and released the lock): start over.
      await client.query(`DEALLOCATE ${name}`);
      prepared.get(client)?.delete(name);
      return await run();
    }
  } finally {
    await runner.release();
  }
}

async function prepareOnce(client: pg.ClientBase, name: string, statement: PreparedStatement) {
  let held = prepared.get(client);
  if (held?.has(name)) return;
  const types = statement.types.length ? ` (${statement.types.join(', ')})` : '';
  await client.query(`PREPARE ${name}${types} AS ${statement.sql}`);
  held ??= new Set();
  held.add(name);
  prepared.set(client, held);
}

/** PostgreSQL's answer when a prepared statement's result columns changed under it. */
function isStaleResultType(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return (
    e.code === '0A000' &&
    typeof e.message === 'string' &&
    e.message.includes('cached plan must not change result type')
  );
}

/** A prepared statement's name, checked: it is written into SQL as it is. */
function statementName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a statement name: ${name}`);
  return name;
}
