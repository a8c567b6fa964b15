import type { Em } from '../db/orm.ts';
import { isUuid } from '../lib/ids.ts';
import { ValidationError } from './errors.ts';
import { getOrgSettings } from './org-settings.ts';
import { rowToSummary, type ImportSummary } from './imports.ts';
import type { Scope } from './scope.ts';

/**
 * An org's imports, newest first (ids are uuidv7: their order is their age),
 * with a cursor: the id of the last one shown.
 */
export async function listImports(em: Em, scope: Pick<Scope, 'orgId'>, query: { beforeId?: string | undefined; limit: number }): Promise<{ imports: ImportSummary[]; nextCursor: string | null }> {
  // A cursor this API did not give is refused, as the other lists do: ignored, it would restart a paging client at page one.
  if (query.beforeId !== undefined && !isUuid(query.beforeId)) throw ValidationError.field('cursor', 'is not a cursor this API returned');
  const before = query.beforeId ?? null;
  const rows = await em.execute(
    `select * from csv_imports where org_id = ? ${before ? 'and id < ?' : ''} order by id desc limit ?`,
    before ? [scope.orgId, before, query.limit + 1] : [scope.orgId, query.limit + 1],
  );
  const settings = await getOrgSettings(em, scope);
  const imports = rows.slice(0, query.limit).map((r) => rowToSummary({ ...r, threshold: settings.massDisableThreshold }));
  return { imports, nextCursor: rows.length > query.limit ? imports[imports.length - 1]!.id : null };
}
