import type { Em } from '../db/orm.ts';
import { recordAuditSql } from './audit.ts';
import { SeatLimitError } from './license.ts';
import type { Scope } from './scope.ts';

/**
 * One transaction around a unit of work (an admin request, a SCIM activation).
 * Nested calls become savepoints. A refusal that must stay on record (a seat
 * refused) is written by the outermost call after the rollback, in its own
 * statement, so the refusal is audited although the change is not made.
 */
export async function transaction<T>(em: Em, scope: Scope, run: (tx: Em) => Promise<T>): Promise<T> {
  const outermost = !em.isInTransaction();
  try {
    return await em.transactional(run);
  } catch (error) {
    if (outermost && error instanceof SeatLimitError) await recordAuditSql(em, scope, error.refusal);
    throw error;
  }
}
