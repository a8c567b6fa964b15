import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postGroup, postUser, scimRequest, sql } from '../support/scim.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { deleteOrg, deletionSteps } from '../../src/directory/org-deletion.ts';
import { authenticateSession, startSession } from '../../src/directory/sessions.ts';

/**
 * `gatehouse org delete` (src/directory/org-deletion.ts): an org and every row
 * it holds go in one transaction, and nothing of any other org does. Two orgs
 * hold a row in every table; the counts and contents of each are compared
 * before and after.
 */

/** Tables whose rows belong to an org through a parent, not an org_id column of their own. */
const viaParent: Record<string, string> = {
  csv_import_rows: 'import_id in (select id from csv_imports where org_id = ?)',
  invitation_memberships: 'invitation_id in (select id from invitations where org_id = ?)',
  invitation_replaced_tokens: 'invitation_id in (select id from invitations where org_id = ?)',
};

async function orgTables(t: TestApp): Promise<string[]> {
  const rows = await sql(t, `select table_name as name from information_schema.columns where table_schema = current_schema() and column_name = 'org_id' order by 1`);
  return rows.map((r) => String(r.name));
}

/** Per table, the org's row count and a digest of the rows' contents. */
async function snapshot(t: TestApp, orgId: string): Promise<Record<string, string>> {
  const where: Record<string, string> = { organizations: 'id = ?', ...viaParent };
  for (const table of await orgTables(t)) where[table] = 'org_id = ?';
  const out: Record<string, string> = {};
  for (const [table, condition] of Object.entries(where).sort()) {
    const [row] = await sql(t, `select count(*)::int as n, coalesce(md5(string_agg(r::text, '|' order by r::text)), '') as digest from "${table}" r where ${condition}`, [orgId]);
    out[table] = `${row!.n} ${row!.digest}`;
  }
  return out;
}

/** A row in every table the API above did not fill, through SQL (the columns as the migrations made them). */
async function fillEveryTable(t: TestApp, org: SeededOrg, userId: string, groupId: string): Promise<void> {
  const run = (text: string, params: unknown[]) => sql(t, text, params);
  const [event] = await sql(t, 'select id from events where org_id = ? limit 1', [org.id]);
  await run(`insert into webhooks (id, created_at, updated_at, org_id, url, secret) values (gen_random_uuid(), now(), now(), ?, 'https://hooks.example/' || ?, 'secret')`, [org.id, org.slug]);
  await run(`insert into webhook_deliveries (id, created_at, updated_at, org_id, webhook_id, event_id, next_attempt_at)
    select gen_random_uuid(), now(), now(), ?, w.id, ?, now() from webhooks w where w.org_id = ?`, [org.id, event!.id, org.id]);
  await run(`insert into csv_imports (id, created_at, updated_at, org_id, mode, encoding, delimiter, created_by_label) values (gen_random_uuid(), now(), now(), ?, 'upsert', 'utf-8', ',', 'test')`, [org.id]);
  await run(`insert into csv_import_rows (import_id, row_number, action) select id, 2, 'create' from csv_imports where org_id = ?`, [org.id]);
  await run(`insert into invitations (id, created_at, updated_at, org_id, user_id, email, invited_by_label, token_hash, expires_at)
    values (gen_random_uuid(), now(), now(), ?, ?, ?, 'test', md5(random()::text), now() + interval '7 days')`, [org.id, userId, `invitee@${org.slug}.example`]);
  await run(`insert into invitation_memberships (id, invitation_id, group_id) select gen_random_uuid(), id, ? from invitations where org_id = ?`, [groupId, org.id]);
  await run(`insert into invitation_replaced_tokens (token_hash, invitation_id, replaced_at) select md5(random()::text), id, now() from invitations where org_id = ?`, [org.id]);
  await run(`insert into group_mappings (id, org_id, idp_group, group_id, role, created_at) values (gen_random_uuid(), ?, 'Staff', ?, 'viewer', now())`, [org.id, groupId]);
  await run(`insert into group_claims (user_id, org_id, updated_at) values (?, ?, now())`, [userId, org.id]);
  await run(`insert into sessions (id, created_at, updated_at, org_id, user_id, token_hash, method, last_seen_at, expires_at)
    values (gen_random_uuid(), now(), now(), ?, ?, md5(random()::text), 'password', now(), now() + interval '1 day')`, [org.id, userId]);
  await run(`insert into mfa_challenges (id, created_at, updated_at, token_hash, email, org_id, user_id, purpose, expires_at)
    values (gen_random_uuid(), now(), now(), md5(random()::text), ?, ?, ?, 'verify', now() + interval '5 minutes')`, [`a@${org.slug}.example`, org.id, userId]);
  await run(`insert into saml_connections (id, created_at, updated_at, org_id, idp_entity_id, idp_sso_url, idp_certificates)
    values (gen_random_uuid(), now(), now(), ?, 'https://idp.example/' || ?, 'https://idp.example/sso', '[]')`, [org.id, org.slug]);
  await run(`insert into saml_requests (id, created_at, updated_at, org_id, connection_id, request_id, expires_at)
    select gen_random_uuid(), now(), now(), ?, id, '_req', now() + interval '5 minutes' from saml_connections where org_id = ?`, [org.id, org.id]);
  await run(`insert into saml_encryption_keys (id, created_at, updated_at, org_id, connection_id, certificate, private_key)
    select gen_random_uuid(), now(), now(), ?, id, 'certificate', 'private key' from saml_connections where org_id = ?`, [org.id, org.id]);
  await run(`insert into saml_assertions (id, created_at, updated_at, org_id, assertion_id, expires_at) values (gen_random_uuid(), now(), now(), ?, '_assertion', now() + interval '1 hour')`, [org.id]);
  await run(`insert into sso_links (id, created_at, updated_at, org_id, connection_id, user_id, name_id, last_login_at)
    select gen_random_uuid(), now(), now(), ?, id, ?, 'name-id', now() from saml_connections where org_id = ?`, [org.id, userId, org.id]);
  await run(`insert into outbox_messages (id, created_at, updated_at, org_id, "to", subject, text, kind, next_attempt_at)
    values (gen_random_uuid(), now(), now(), ?, ?, 'Hello', 'Hello', 'invitation', now())`, [org.id, `invitee@${org.slug}.example`]);
  await run(`insert into scim_problems (org_id, at, method, path, token_name, status, detail, request_id) values (?, now(), 'POST', '/Users', 'idp', 400, 'bad', 'r1')`, [org.id]);
  await run(`insert into event_feed_pruned (org_id) values (?) on conflict do nothing`, [org.id]);
  await run(`insert into event_feed_heads (org_id) values (?) on conflict do nothing`, [org.id]);
}

describe('deleting an organization (gatehouse org delete)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let leaving: SeededOrg;
  let staying: SeededOrg;
  let session: string;
  const clock = fixedClock(new Date('2026-12-01T12:00:00Z'));

  before(async () => {
    t = await createTestApp({ config: { auth: { tokenCacheMs: 5000 }, scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } }, clock });
    for (const slug of ['leaving', 'staying']) {
      const org = await seedOrg(t.container, slug);
      const a = await postUser(t, org.tokens.scim, `ann@${slug}.example`);
      const b = await postUser(t, org.tokens.scim, `bob@${slug}.example`);
      const group = await postGroup(t, org.tokens.scim, 'Staff', [String(a.id), String(b.id)]);
      await fillEveryTable(t, org, String(a.id), String(group.id));
      if (slug === 'leaving') leaving = org;
      else staying = org;
      if (slug === 'leaving') {
        const scope = { orgId: org.id, orgSlug: slug, actor: { type: 'system' as const, label: 'test' } };
        const started = await t.container.fork().transactional((tx) => startSession(tx, scope, { userId: String(a.id), method: 'password', now: clock.now(), policy: { maxPerUser: 10, ttlMs: 86_400_000 } }));
        session = started.token;
      }
    }
  });
  after(() => t.close());

  it('has a deletion step for every table with an org_id column (the trail goes with the org row)', async () => {
    const covered = new Set([...deletionSteps.map((s) => s.table), 'audit_events']);
    assert.deepEqual((await orgTables(t)).filter((table) => !covered.has(table)), []);
  });

  it('the test data holds rows of both orgs in every table', async () => {
    for (const org of [leaving, staying]) {
      const empty = Object.entries(await snapshot(t, org.id)).filter(([, v]) => v.startsWith('0 ')).map(([table]) => table);
      assert.deepEqual(empty, [], `${org.slug} has no rows in these tables`);
    }
  });

  it('rolls back everything when a step fails: nothing is half deleted', async () => {
    const before = await snapshot(t, leaving.id);
    // A failure in the middle (after webhooks, imports, invitations, memberships… are deleted): groups refuse.
    await sql(t, `create function test_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`);
    await sql(t, `create trigger test_refuse before delete on groups for each row execute function test_refuse()`);
    try {
      await assert.rejects(deleteOrg(t.container.fork(), 'leaving'), /refused by the test/);
    } finally {
      await sql(t, 'drop trigger test_refuse on groups');
      await sql(t, 'drop function test_refuse()');
    }
    assert.deepEqual(await snapshot(t, leaving.id), before);
  });

  it('deletes the org and all its rows, counts them per kind, and leaves the other org untouched', async () => {
    // The SCIM token works, and is now cached for auth.tokenCacheMs; so does a person's session.
    await scimRequest(t, leaving.tokens.scim, 'get', '/Users').expect(200);
    await request(t.app).get('/api/orgs/leaving').set('Authorization', `Bearer ${leaving.tokens.admin}`).expect(200);
    assert.ok(await authenticateSession(t.container.fork(), session, clock.now()));
    const other = await snapshot(t, staying.id);
    const credentials = await sql(t, 'select count(*)::int as n from credentials');

    const { org, deleted } = await deleteOrg(t.container.fork(), 'leaving');

    assert.deepEqual(org, { id: leaving.id, slug: 'leaving', name: 'leaving inc' });
    assert.equal(deleted.people, 2);
    assert.equal(deleted.groups, 1);
    assert.equal(deleted.memberships, 2);
    assert.equal(deleted.tokens, 2);
    assert.equal(deleted.importRows, 1);
    assert.ok(deleted.auditEvents! >= 4, JSON.stringify(deleted));
    assert.ok(deleted.events! >= 1, JSON.stringify(deleted));
    const left = Object.entries(await snapshot(t, leaving.id)).filter(([, v]) => !v.startsWith('0 ')).map(([table]) => table);
    assert.deepEqual(left, [], 'rows of the deleted org remain');
    assert.deepEqual(await snapshot(t, staying.id), other);
    assert.deepEqual(await sql(t, 'select count(*)::int as n from credentials'), credentials);
  });

  it('ends the sessions of the deleted org\'s people at once', async () => {
    assert.equal(await authenticateSession(t.container.fork(), session, clock.now()), null);
  });

  it('answers a write with the deleted org\'s still-cached tokens 401 naming the deletion, not a 500, and writes nothing', async () => {
    const users = await sql(t, 'select count(*)::int as n from users');
    const scim = await scimRequest(t, leaving.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'late@leaving.example' });
    assert.equal(scim.status, 401, JSON.stringify(scim.body));
    assert.match(scim.body.detail, /organization .*deleted/i);
    const admin = await request(t.app).post('/api/orgs/leaving/groups').set('Authorization', `Bearer ${leaving.tokens.admin}`).send({ displayName: 'Late' });
    assert.equal(admin.status, 401, JSON.stringify(admin.body));
    assert.match(admin.body.error.message, /organization .*deleted/i);
    assert.deepEqual(await sql(t, 'select count(*)::int as n from users'), users);
  });

  it('stops accepting the deleted org\'s tokens once the token cache entry expires, and keeps the other org\'s', async () => {
    clock.advance(5001);
    await scimRequest(t, leaving.tokens.scim, 'get', '/Users').expect(401);
    await scimRequest(t, staying.tokens.scim, 'get', '/Users').expect(200);
  });

  it('still refuses an ordinary delete of an audit row (the trail stays append-only)', async () => {
    const [row] = await sql(t, 'select id from audit_events where org_id = ? limit 1', [staying.id]);
    await assert.rejects(sql(t, 'delete from audit_events where id = ?', [row!.id]), /append-only/);
    await assert.rejects(sql(t, 'delete from audit_events where org_id = ?', [staying.id]), /append-only/);
  });

  it('answers not found for an unknown slug', async () => {
    await assert.rejects(deleteOrg(t.container.fork(), 'leaving'), /Organization "leaving" not found/);
  });
});
