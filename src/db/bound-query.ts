import { CompiledQuery } from 'kysely';
import type { Em } from './orm.ts';

type Rows = Array<Record<string, unknown>>;

/**
 * What running a statement needs of an EntityManager: its connection, its
 * transaction (if any) and its driver's error conversion; not its unit of
 * work. A request's single-statement reads and writes take this instead of a
 * fork of their own (container.statements): forking builds an identity map,
 * a unit of work and their helpers, which cost more than a key lookup and,
 * alive across a garbage collection or two while the request is in flight,
 * were most of what the server promoted to the old generation.
 */
export type SqlRunner = Pick<Em, 'getTransactionContext' | 'getConnection' | 'getDriver'>;

/**
 * A request's two ways to the database (req.ctx has both): single statements
 * with no fork, and its own EntityManager, forked on first use, for what needs
 * a transaction. A write that is usually one statement takes this, so its
 * common case forks nothing.
 */
export interface Db {
  sql: SqlRunner;
  readonly em: Em;
}

/** An EntityManager (a job, a transaction, a test) serves as both. */
export function dbOf(from: Em | Db): Db {
  return 'sql' in from ? from : { sql: from, em: from };
}

/**
 * em.execute() inlines every parameter into the SQL text on the client
 * (platform.formatQuery): fine for small statements, but a bulk statement
 * whose rows travel as one multi-megabyte JSON parameter then spends most of
 * its time escaping and re-parsing that literal. This sends the parameters
 * bound ($1, $2…), through the same connection and transaction as `em`.
 * `?` placeholders as in em.execute; the SQL must hold no other `?`.
 */
export async function executeBound(em: SqlRunner, sql: string, params: unknown[]): Promise<Rows> {
  const text = numbered(sql, params.length);
  const ctx = em.getTransactionContext() as { executeQuery?: unknown } | undefined;
  const executor = (ctx ?? (em.getConnection() as unknown as { getClient(): unknown }).getClient()) as {
    executeQuery(query: CompiledQuery): Promise<{ rows: Rows }>;
  };
  try {
    return (await executor.executeQuery(CompiledQuery.raw(text, params))).rows;
  } catch (error) {
    throw converted(em, error);
  }
}

/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) for one bound `?::type[]`
 * parameter: every element quoted, `"` and `\` escaped (PostgreSQL docs,
 * "Array Value Input"). Built here rather than left to the driver so that pg
 * and PGlite receive the same text.
 */
export function pgArray(values: ReadonlyArray<string | number | boolean | null>): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/** The driver's error as em.execute() would throw it (UniqueConstraintViolationException…), so callers need not care which path ran. */
function converted(em: SqlRunner, error: unknown): unknown {
  return error instanceof Error && 'code' in error ? em.getDriver().convertException(error) : error;
}

function numbered(sql: string, count: number): string {
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  if (n !== count) throw new Error(`executeBound: ${n} placeholders for ${count} parameters`);
  return text;
}

/** The slice of pg's Pool the hot path uses (MikroORM's own pool, so its type parsers apply). */
interface PgPool {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Rows }>;
  totalCount: number;
}

/** Per driver connection: its pg Pool, or null when the store is not PostgreSQL (PGlite). */
const pools = new WeakMap<object, PgPool | null | Promise<PgPool | null>>();

async function poolOf(connection: object): Promise<PgPool | null> {
  const known = pools.get(connection);
  if (known !== undefined) return known;
  const pending = (connection as { getNativeClient?(): Promise<unknown> }).getNativeClient?.().then(
    (client) => {
      // pg's Pool: PGlite's native client has neither.
      const pool = client && typeof (client as PgPool).query === 'function' && 'totalCount' in (client as object) ? (client as PgPool) : null;
      pools.set(connection, pool);
      return pool;
    },
    () => (pools.set(connection, null), null),
  ) ?? Promise.resolve(null);
  pools.set(connection, pending);
  return pending;
}

/** Prepared statements by SQL text. Bounded: each is a statement every pooled connection keeps. */
const prepared = new Map<string, { name: string; text: string }>();
const MAX_PREPARED = 64;

/**
 * A hot read or single-statement write, outside any transaction: straight to
 * the pg pool, with no ORM or query-builder layer in between. With `prepare`
 * (statements whose text is one of a few fixed shapes, the parameters carry all
 * that varies, and whose plan does not hinge on the parameter values: key
 * lookups, single-row writes) it is a named prepared statement, so PostgreSQL
 * parses and plans it once per connection instead of on every request.
 * Inside a transaction, or on PGlite, it is executeBound.
 */
export async function executeHot(em: SqlRunner, sql: string, params: unknown[], options: { prepare: boolean }): Promise<Rows> {
  if (em.getTransactionContext()) return executeBound(em, sql, params);
  const pool = await poolOf(em.getConnection());
  if (!pool) return executeBound(em, sql, params);
  let statement = options.prepare ? prepared.get(sql) : undefined;
  if (options.prepare && statement === undefined && prepared.size < MAX_PREPARED) {
    statement = { name: `gatehouse_${prepared.size + 1}`, text: numbered(sql, params.length) };
    prepared.set(sql, statement);
  }
  try {
    return (await pool.query(statement ? { ...statement, values: params } : { text: numbered(sql, params.length), values: params })).rows;
  } catch (error) {
    throw converted(em, error);
  }
}
