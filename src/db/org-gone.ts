import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';

/**
 * A write for an organization deleted meanwhile (`gatehouse org delete`): its row's reference to
 * the org fails. A token or session checked before the deletion — a server keeps accepted tokens
 * for auth.tokenCacheMs — reaches the write; the caller is told its credentials ended with the
 * org (401), not that the server failed (500). Nothing was written: the statement failed whole.
 */
export const ORG_GONE_MESSAGE = 'This organization was deleted: its tokens and sessions no longer work';

export function isOrgGone(error: unknown): boolean {
  if (!(error instanceof ForeignKeyConstraintViolationException)) return false;
  const text = `${error.message} ${(error as { constraint?: string }).constraint ?? ''}`;
  return /_org_id_foreign\b/.test(text) && /organizations/.test(text);
}
