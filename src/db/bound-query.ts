import { CompiledQuery } from 'kysely';
import type { Em } from './orm.ts';

/**
 * em.execute() inlines every parameter into the SQL text on the client
 * (platform.formatQuery): fine for small statements, but a bulk statement
 * whose rows travel as one multi-megabyte JSON parameter then spends most of
 * its time escaping and re-parsing that literal. This sends the parameters
 * bound ($1, $2…), through the same connection and transaction as `em`.
 * `?` placeholders as in em.execute; the SQL must hold no other `?`.
 */
export async function executeBound(em: Em, sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  if (n !== params.length) throw new Error(`executeBound: ${n} placeholders for ${params.length} parameters`);
  const connection = em.getConnection();
  const ctx = em.getTransactionContext() as { executeQuery?: unknown } | undefined;
  const executor = (ctx ?? (connection as unknown as { getClient(): unknown }).getClient()) as {
    executeQuery(query: CompiledQuery): Promise<{ rows: Array<Record<string, unknown>> }>;
  };
  const result = await executor.executeQuery(CompiledQuery.raw(text, params));
  return result.rows;
}
