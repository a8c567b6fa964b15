import type { Em } from '../db/orm.ts';
import { StaleVersionError } from './errors.ts';

/**
 * Optimistic concurrency for the admin API's writes that replace or delete a record another
 * admin may have just changed (a SAML connection, a webhook endpoint, the org's settings).
 * `ifMatch` holds the versions an If-Match listed (lib/etag.ts ifMatchVersions); undefined
 * (no If-Match, or `*`) lets the write go ahead whatever the version: the last write wins.
 */
export type IfMatch = number[] | undefined;

/** The record named as `kind id`, at `version` (undefined: it does not exist), must be at a version If-Match lists. */
export function assertIfMatch(ifMatch: IfMatch, version: number | undefined, kind: string, id: string): void {
  if (ifMatch && (version === undefined || !ifMatch.includes(version))) throw new StaleVersionError(kind, id);
}

/**
 * Checks If-Match against the row `select version from … for update` finds, inside the write's
 * transaction: the lock holds to its end, so no other write lands between this check and the
 * caller's. `select` must select the `version` column of one row, scoped by org.
 */
export async function lockIfMatch(tx: Em, ifMatch: IfMatch, select: string, params: unknown[], kind: string, id: string): Promise<void> {
  if (!ifMatch) return;
  const [row] = await tx.execute<Array<{ version: number }>>(`${select} for update`, params);
  assertIfMatch(ifMatch, row ? Number(row.version) : undefined, kind, id);
}
