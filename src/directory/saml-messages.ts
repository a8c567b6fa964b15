import type { Em } from '../db/orm.ts';
import { uuidv7 } from '../lib/ids.ts';

/**
 * The SAML message memory every instance shares (CONVENTIONS 12): issued
 * AuthnRequest IDs for `InResponseTo`, and accepted assertion IDs against replay.
 * Both are single statements whose outcome the database decides, so two
 * instances racing on the same message cannot both win.
 */

export async function rememberAuthnRequest(
  em: Em,
  orgId: string,
  connectionId: string,
  request: { requestId: string; relayState: string | null; browserBinding: string; expiresAt: Date },
): Promise<void> {
  await em.execute(
    `insert into saml_requests (id, created_at, updated_at, org_id, connection_id, request_id, relay_state, browser_binding, expires_at)
     values (?, now(), now(), ?, ?, ?, ?, ?, ?)`,
    [uuidv7(), orgId, connectionId, request.requestId, request.relayState, request.browserBinding, request.expiresAt],
  );
}

/**
 * Marks a request answered and returns it, or null when this org and
 * connection never issued it, it expired, or it was already answered.
 * `browserBinding` is the digest of the asking browser's nonce, for the caller to check.
 */
export async function consumeAuthnRequest(
  em: Em,
  orgId: string,
  connectionId: string,
  requestId: string,
  now: Date,
): Promise<{ relayState: string | null; browserBinding: string | null } | null> {
  const rows = await em.execute(
    `update saml_requests set used_at = ?, updated_at = ?
     where org_id = ? and connection_id = ? and request_id = ? and used_at is null and expires_at > ?
     returning relay_state, browser_binding`,
    [now, now, orgId, connectionId, requestId, now],
  );
  const row = rows[0];
  return row ? { relayState: (row.relay_state as string | null) ?? null, browserBinding: (row.browser_binding as string | null) ?? null } : null;
}

/**
 * Records an assertion ID as used until it expires. false = this org already
 * accepted it (a replay), whichever instance did. Expired entries of the org are
 * purged on the way: the assertion's own NotOnOrAfter refuses those anyway.
 */
export async function rememberAssertionId(em: Em, orgId: string, assertionId: string, expiresAt: Date, now: Date): Promise<boolean> {
  await em.execute('delete from saml_assertions where org_id = ? and expires_at < ?', [orgId, now]);
  await em.execute('delete from saml_requests where org_id = ? and expires_at < ?', [orgId, new Date(now.getTime() - 86_400_000)]);
  const rows = await em.execute(
    `insert into saml_assertions (id, created_at, updated_at, org_id, assertion_id, expires_at)
     values (?, now(), now(), ?, ?, ?)
     on conflict (org_id, assertion_id) do nothing returning id`,
    [uuidv7(), orgId, assertionId, expiresAt],
  );
  return rows.length === 1;
}
