import type { Em } from '../db/orm.ts';
import { NotFoundError } from './errors.ts';
import { forgetUnusedSignInSecrets } from './sign-in-secrets.ts';

/**
 * What an org's deletion removes, table by table, children before parents. Each
 * step is one set-based statement scoped to the org, so a large org (tens of
 * thousands of people) costs a handful of statements, not a cascade per row.
 * The audit trail is not in the list: the trigger audit_events_append_only
 * refuses any delete while the org exists, and lets through only the cascade
 * of the org row's own deletion (migration 20261130061000), which is the last
 * statement here. Credentials, second factors and recovery codes belong to a
 * person across orgs (by email): they go with the org only for addresses no
 * other org has a profile for.
 */
export interface DeletionStep {
  /** The name in `--json`'s counts. */
  kind: string;
  table: string;
  sql: string;
}

const byOrg = (kind: string, table: string): DeletionStep => ({ kind, table, sql: `delete from "${table}" where "org_id" = ?` });
const viaParent = (kind: string, table: string, column: string, parent: string): DeletionStep => ({
  kind,
  table,
  sql: `delete from "${table}" where "${column}" in (select "id" from "${parent}" where "org_id" = ?)`,
});

export const deletionSteps: readonly DeletionStep[] = [
  byOrg('webhookDeliveries', 'webhook_deliveries'),
  byOrg('webhooks', 'webhooks'),
  byOrg('events', 'events'),
  byOrg('feedHeads', 'event_feed_heads'),
  byOrg('feedPruned', 'event_feed_pruned'),
  viaParent('importRows', 'csv_import_rows', 'import_id', 'csv_imports'),
  byOrg('imports', 'csv_imports'),
  viaParent('invitationMemberships', 'invitation_memberships', 'invitation_id', 'invitations'),
  viaParent('replacedInvitationTokens', 'invitation_replaced_tokens', 'invitation_id', 'invitations'),
  byOrg('invitations', 'invitations'),
  byOrg('memberships', 'memberships'),
  byOrg('groupMappings', 'group_mappings'),
  byOrg('groupClaims', 'group_claims'),
  byOrg('sessions', 'sessions'),
  byOrg('mfaChallenges', 'mfa_challenges'),
  byOrg('ssoLinks', 'sso_links'),
  byOrg('samlRequests', 'saml_requests'),
  byOrg('samlAssertions', 'saml_assertions'),
  byOrg('samlEncryptionKeys', 'saml_encryption_keys'),
  byOrg('samlConnections', 'saml_connections'),
  byOrg('tokens', 'api_tokens'),
  byOrg('outboxMessages', 'outbox_messages'),
  byOrg('scimProblems', 'scim_problems'),
  byOrg('people', 'users'),
  byOrg('groups', 'groups'),
  // After the people: their deletion writes count deltas (users_count_deleted).
  byOrg('userCountDeltas', 'user_count_deltas'),
];

export interface OrgDeletion {
  org: { id: string; slug: string; name: string };
  deleted: Record<string, number>;
}

/**
 * Deletes an organization and everything it holds, in one transaction: on any
 * failure nothing is deleted. The org row is locked first, so no other
 * transaction adds a row that references it (a foreign-key check waits for the
 * lock) between the counts and the deletes.
 */
export async function deleteOrg(em: Em, slug: string): Promise<OrgDeletion> {
  return em.transactional(async (tx) => {
    const [org] = (await tx.execute('select "id", "slug", "name" from "organizations" where "slug" = ? for update', [slug])) as { id: string; slug: string; name: string }[];
    if (!org) throw new NotFoundError('Organization', slug);
    const deleted: Record<string, number> = {};
    const emails = (await tx.execute('select distinct "email" from "users" where "org_id" = ? and "email" is not null', [org.id])).map((r) => String(r.email));
    for (const step of deletionSteps) deleted[step.kind] = await countOf(tx, step.sql, org.id);
    // The passwords and second factors of addresses no other org has a profile for (sign-in-secrets.ts).
    deleted.passwords = await forgetUnusedSignInSecrets(tx, emails);
    // The trail goes with the org row, by its foreign key's cascade (see above); counted first.
    const [trail] = (await tx.execute('select count(*)::int as "n" from "audit_events" where "org_id" = ?', [org.id])) as { n: number }[];
    deleted.auditEvents = Number(trail?.n ?? 0);
    await tx.execute('delete from "organizations" where "id" = ?', [org.id]);
    return { org: { id: org.id, slug: org.slug, name: org.name }, deleted };
  });
}

async function countOf(tx: Em, sql: string, orgId: string): Promise<number> {
  const [row] = (await tx.execute(`with "gone" as (${sql} returning 1) select count(*)::int as "n" from "gone"`, [orgId])) as { n: number }[];
  return Number(row?.n ?? 0);
}
