import type { Em } from '../../db/orm.ts';
import type { Scope } from '../../directory/scope.ts';

/** The tables whose rows a SCIM read-modify-write locks (a fixed list: the name goes into the SQL). */
type LockedTable = 'users' | 'groups';

/**
 * A SCIM read-modify-write (PUT, PATCH) of one resource.
 *
 * With If-Match the client named the version it read: a concurrent change is
 * its answer (412), so `run` goes once. Without If-Match the client asked for
 * no version, so a concurrent change must not fail the request (RFC 9110
 * §13.1.1: 412 answers a precondition, and none was sent). `run` goes once
 * optimistically; when another write got in between (StaleVersionError), it
 * goes again in a transaction that first locks the resource's row: writers of
 * the same resource then take turns instead of retrying against each other,
 * so an IdP sending ten PATCHes of one user at once gets ten 200s.
 */
export async function writeLatest<T>(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  target: { table: LockedTable; id: string },
  ifMatch: number | undefined,
  run: (em: Em) => Promise<T>,
): Promise<T> {
  if (ifMatch !== undefined) return run(em);
  try {
    return await run(em);
  } catch (error) {
    if (!isStale(error)) throw error;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.transactional(async (tx) => {
        await tx.execute(`select 1 from ${target.table} where org_id = ? and id = ? for update`, [scope.orgId, target.id]);
        return run(tx);
      });
    } catch (error) {
      // Under the lock only a writer that takes none (a hot single-statement write) can still
      // get in between; a few more turns settle it.
      if (!isStale(error) || attempt >= LOCKED_ATTEMPTS) throw error;
    }
  }
}

const LOCKED_ATTEMPTS = 3;

function isStale(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'StaleVersionError';
}
