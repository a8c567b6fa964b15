import type { Request } from 'express';
import type { Em } from '../../db/orm.ts';
import { transaction } from '../../directory/transaction.ts';
import { scopeFor } from '../context.ts';

/** One transaction per admin request; a refused seat is still audited (directory/transaction.ts). */
export function inTransaction<T>(req: Request, run: (tx: Em) => Promise<T>): Promise<T> {
  return transaction(req.ctx.em, scopeFor(req), run);
}
