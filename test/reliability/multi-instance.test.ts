import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app.ts';
import { usingPostgres } from '../support/db.ts';
import type { SeededOrg } from '../support/app.ts';
import { startReceiver, type Receiver } from '../events/support.ts';
import { readAuthnRequest } from '../saml/support/idp.ts';
import { configureSaml, endpointsOf, responseFor, seedUser } from '../saml/support/sp.ts';
import { createSharedDatabase, type SharedDatabase } from './support/database.ts';
import { call, isScimError, PATCH_SCHEMA, scimUser, waitUntil, type Reply } from './support/http.ts';
import { killInstance, startInstance, type Instance } from './support/instance.ts';
import { report } from './support/report.ts';

/**
 * Issue 9, "Several instances": three real Gatehouse processes (`node
 * src/main.ts`) on one PostgreSQL database, as behind a load balancer. Every
 * piece of shared state lives in the database, so work spread over the
 * instances behaves as if one process did it.
 */
describe('several instances on one database', function () {
  this.timeout(300_000);
  let db: SharedDatabase;
  let local: Express;
  let acme: SeededOrg;
  let strict: SeededOrg;
  let imports: SeededOrg;
  let receiver: Receiver;
  let instances: Instance[] = [];
  const EXPIRED_INVITATIONS = 30;

  before(async function () {
    if (!usingPostgres) {
      this.skip(); // PGlite is one process's embedded database: several instances need PostgreSQL (set DATABASE_URL)
    }
    db = await createSharedDatabase();
    // An app in the test process over the same database, only to seed it the way an admin would.
    local = createApp(db.container);
    acme = await db.seedOrg('acme');
    strict = await db.seedOrg('strict');
    imports = await db.seedOrg('imports');
    receiver = await startReceiver();
    const hook = await request(local).post('/api/orgs/acme/webhooks').set('Authorization', `Bearer ${acme.tokens.admin}`).send({ url: receiver.url });
    assert.equal(hook.status, 201, hook.text);
    await configureSaml(local, acme, { allowIdpInitiated: true, jit: 'off' });
    await configureSaml(local, strict, { allowIdpInitiated: false });
    await seedUser(db.container, acme, 'alice@acme.test');
    await seedUser(db.container, strict, 'sam@strict.test');
    // A seat limit sends the import through the per-row path: 500 rows a batch, so two commits interleave batches.
    const seats = await request(local).patch('/api/orgs/imports/settings').set('Authorization', `Bearer ${imports.tokens.admin}`).send({ seatLimit: 100_000 });
    assert.equal(seats.status, 200, seats.text);
    // Invitations already past their expiry before any instance runs: every instance's expiry job
    // runs at start-up, so the three race for the same rows.
    const emails = Array.from({ length: EXPIRED_INVITATIONS }, (_, i) => `invitee${i}@acme.test`).join(', ');
    const invited = await request(local).post('/api/orgs/acme/invitations').set('Authorization', `Bearer ${acme.tokens.admin}`).send({ emails });
    assert.ok(invited.status === 201 || invited.status === 200, invited.text);
    await db.sql(`update invitations set expires_at = now() - interval '1 minute'`);

    instances = await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, db.url)));
  });

  after(async () => {
    await Promise.all(instances.map((i) => killInstance(i)));
    await receiver?.close();
    await db?.close();
  });

  const scim = (i: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(instances[i % instances.length]!.url, method, `/scim/v2${path}`, { token: acme.tokens.scim, body, headers });

  it('creates a userName once when POSTs of it race on every instance: one 201, the rest 409 uniqueness, one row', async () => {
    const rounds = 5;
    const perRound = 12;
    for (let round = 0; round < rounds; round++) {
      const userName = `race${round}@acme.test`;
      // Case variants: the unique index is on lower(user_name).
      const replies = await Promise.all(Array.from({ length: perRound }, (_, i) => scim(i, 'POST', '/Users', scimUser(i % 2 ? userName.toUpperCase() : userName))));
      const created = replies.filter((r) => r.status === 201);
      assert.equal(created.length, 1, replies.map((r) => `${r.status} ${r.text}`).join('\n'));
      for (const r of replies.filter((x) => x.status !== 201)) assert.ok(isScimError(r, 409) && r.body.scimType === 'uniqueness', `${r.status} ${r.text}`);
      assert.equal(await db.count('select count(*)::int as n from users where org_id = ? and lower(user_name) = ?', [acme.id, userName]), 1);
    }
    report('multi.uniqueness', { rounds, requestsPerRound: perRound });
  });

  it('loses no update when PATCHes with the same If-Match land on different instances: 412, or both changes kept', async () => {
    const user = (await scim(0, 'POST', '/Users', scimUser('patched@acme.test'))).body;
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 10; round++) {
      const current = await scim(round, 'GET', `/Users/${user.id}`);
      const etag = current.headers.get('etag')!;
      assert.ok(etag, 'GET returns an ETag');
      const patch = (i: number, op: Record<string, unknown>) => scim(i, 'PATCH', `/Users/${user.id}`, { schemas: [PATCH_SCHEMA], Operations: [op] }, { 'If-Match': etag });
      const [title, department] = await Promise.all([
        patch(round, { op: 'replace', path: 'title', value: `title ${round}` }),
        patch(round + 1, { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: `dept ${round}` }),
      ]);
      const key = [title.status, department.status].join('/');
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      for (const r of [title, department]) assert.ok(r.status === 200 || isScimError(r, 412), `${r.status} ${r.text}`);
      assert.ok(title.status === 200 || department.status === 200, 'one of two PATCHes on the current version succeeds');
      const after = (await scim(round + 2, 'GET', `/Users/${user.id}`)).body;
      const dept = after['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']?.department;
      if (title.status === 200) assert.equal(after.title, `title ${round}`);
      if (department.status === 200) assert.equal(dept, `dept ${round}`);
    }
    // Without If-Match both PATCHes must land: the server re-reads and re-applies on a version clash.
    const [a, b] = await Promise.all([
      scim(0, 'PATCH', `/Users/${user.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'nickName', value: 'nick' }] }),
      scim(1, 'PATCH', `/Users/${user.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'Display' }] }),
    ]);
    assert.deepEqual([a.status, b.status], [200, 200], `${a.text}\n${b.text}`);
    const final = (await scim(2, 'GET', `/Users/${user.id}`)).body;
    assert.deepEqual([final.nickName, final.displayName], ['nick', 'Display']);
    report('multi.ifMatch', { rounds: 10, outcomes });
  });

  const postAcs = (i: number, slug: string, xml: string, cookie?: string): Promise<Reply> =>
    call(instances[i]!.url, 'POST', endpointsOf(slug).acsPath, {
      body: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64') }).toString(),
      contentType: 'application/x-www-form-urlencoded',
      ...(cookie ? { headers: { Cookie: cookie } } : {}),
    });

  it('refuses on instance B a SAML assertion already accepted on instance A (shared replay cache)', async () => {
    const xml = responseFor('acme');
    const first = await postAcs(0, 'acme', xml);
    assert.equal(first.status, 303, first.text);
    assert.match(first.headers.get('set-cookie') ?? '', /gatehouse_session=/);
    const replayB = await postAcs(1, 'acme', xml);
    assert.equal(replayB.status, 400, replayB.text);
    assert.equal(replayB.headers.get('set-cookie'), null);
    const replayC = await postAcs(2, 'acme', xml);
    assert.equal(replayC.status, 400, replayC.text);
    assert.equal(await db.count(`select count(*)::int as n from audit_events where org_id = ? and action = 'sso.login'`, [acme.id]), 1);
  });

  it('accepts on instance B the answer to an AuthnRequest issued by instance A, once (shared request IDs)', async () => {
    const login = await call(instances[0]!.url, 'GET', '/saml/strict/login');
    assert.equal(login.status, 302, login.text);
    const { id } = readAuthnRequest(login.headers.get('location')!);
    // The browser's binding cookie, as it sends it back with the response.
    const cookie = login.headers.getSetCookie().find((c) => c.includes('gatehouse_saml.'))!.split(';')[0]!;
    const answer = await postAcs(1, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: id }), cookie);
    assert.equal(answer.status, 303, answer.text);
    const again = await postAcs(2, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: id }), cookie);
    assert.equal(again.status, 400, again.text);
  });

  it('applies a CSV import once when its commit is started on two instances at once', async () => {
    const rows = 1200;
    const csv = `Email,Department\r\n${Array.from({ length: rows }, (_, i) => `csv${i}@imports.test,Ops`).join('\r\n')}\r\n`;
    const admin = (i: number, method: string, path: string, body?: unknown, contentType?: string) =>
      call(instances[i]!.url, method, `/api/orgs/imports${path}`, { token: imports.tokens.admin, body, ...(contentType ? { contentType } : {}), timeoutMs: 240_000 });
    const upload = await admin(0, 'POST', '/imports?mode=upsert&noInvite=true', csv, 'text/csv');
    assert.equal(upload.status, 201, upload.text);
    const started = Date.now();
    const commits = await Promise.all([admin(1, 'POST', `/imports/${upload.body.id}/commit`, { rows: 'all' }), admin(2, 'POST', `/imports/${upload.body.id}/commit`, { rows: 'all' })]);
    const seconds = (Date.now() - started) / 1000;
    // The second call either resumed alongside the first (200) or found it committed (409); never an error.
    for (const c of commits) assert.ok(c.status === 200 || (c.status === 409 && c.body.error.details.status === 'committed'), `${c.status} ${c.text}`);
    const final = await admin(0, 'GET', `/imports/${upload.body.id}`);
    assert.equal(final.body.status, 'committed');
    assert.deepEqual([final.body.progress.processed, final.body.progress.applied, final.body.progress.failed], [rows, rows, 0]);
    assert.equal(await db.count('select count(*)::int as n from users where org_id = ?', [imports.id]), rows);
    assert.equal(await db.count(`select count(*)::int as n from audit_events where org_id = ? and action = 'user.created'`, [imports.id]), rows);
    assert.equal(await db.count(`select count(*)::int as n from audit_events where org_id = ? and action = 'import.committed'`, [imports.id]), 1);
    report('multi.csvCommit', { rows, statuses: commits.map((c) => c.status), seconds });
  });

  it('announces each expired invitation once although every instance runs the expiry job', async () => {
    const count = () => db.count(`select count(*)::int as n from audit_events where org_id = ? and action = 'invitation.expired'`, [acme.id]);
    await waitUntil('the expiry job', 60_000, async () => (await count()) >= EXPIRED_INVITATIONS);
    const perInvitation = await db.sql(`select details ->> 'invitationId' as id, count(*)::int as n from audit_events where org_id = ? and action = 'invitation.expired' group by 1`, [acme.id]);
    assert.equal(perInvitation.length, EXPIRED_INVITATIONS);
    assert.ok(perInvitation.every((r) => r.n === 1), JSON.stringify(perInvitation.filter((r) => r.n !== 1)));
  });

  it('delivers every event of the run to the webhook exactly once, whichever instance publishes and sends it', async () => {
    // Some more events, produced on every instance.
    await Promise.all(Array.from({ length: 30 }, (_, i) => scim(i, 'POST', '/Users', scimUser(`hooked${i}@acme.test`))));
    const published = async () => (await db.sql('select id from events where org_id = ? and position is not null', [acme.id])).map((r) => String(r.id));
    const ids = () => receiver.received.map((r) => String(r.headers['x-gatehouse-event-id']));
    const total = await db.count('select count(*)::int as n from events where org_id = ?', [acme.id]);
    const waited = await waitUntil('every event delivered', 120_000, async () => {
      const pending = await db.count(`select count(*)::int as n from webhook_deliveries where status <> 'delivered'`);
      return pending === 0 && new Set(ids()).size >= total;
    });
    const expected = await published();
    assert.equal(expected.length, total, 'every committed event was published (numbered) once');
    assert.deepEqual([...new Set(ids())].sort(), expected.sort());
    const seen = new Map<string, number>();
    for (const id of ids()) seen.set(id, (seen.get(id) ?? 0) + 1);
    assert.deepEqual([...seen].filter(([, n]) => n > 1), [], 'no event delivered twice');
    const positions = await db.count('select count(distinct position)::int as n from events where org_id = ?', [acme.id]);
    assert.equal(positions, total, 'each event numbered once');
    report('multi.webhooks', { events: total, deliveries: ids().length, drainMs: waited });
  });
});
