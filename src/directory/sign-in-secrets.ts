import type { Em } from '../db/orm.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import { normalizeEmail } from './credentials.ts';

/**
 * A password, second factors, recovery codes and password-reset links belong to an address across
 * orgs (credentials.ts: one per normalised email), not to a profile. Once no profile of any org is
 * left for the address — its last one purged, or its org deleted — they are personal data with no
 * use, and go. A profile not yet purged keeps them, even deleted: it may be restored.
 */
const TABLES = ['credentials', 'second_factors', 'recovery_codes', 'password_resets'] as const;

/** Forgets the sign-in secrets of those of `emails` no profile has any more: the number of passwords forgotten. */
export async function forgetUnusedSignInSecrets(tx: Em, emails: readonly string[]): Promise<number> {
  const wanted = [...new Set(emails.map(normalizeEmail).filter(Boolean))];
  if (!wanted.length) return 0;
  // Each delete runs whether or not the select reads it (PostgreSQL runs every data-modifying WITH).
  const [row] = await executeBound(
    tx,
    `with unused as (select e.email from unnest(?::text[]) as e(email)
                     where not exists (select 1 from users u where u.email = e.email and u.purged_at is null)),
     ${TABLES.map((table) => `gone_${table} as (delete from ${table} x using unused where x.email = unused.email returning 1)`).join(',\n     ')}
     select (select count(*)::int from gone_credentials) as passwords`,
    [pgArray(wanted)],
  );
  return Number(row?.passwords ?? 0);
}
