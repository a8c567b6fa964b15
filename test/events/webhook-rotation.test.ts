import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postUser, sql } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { readmeVerifier, startReceiver, type ReadmeVerifier, type Receiver } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

const HOUR = 3_600_000;
const BASE_DELAY = 10_000;

/**
 * Rolling an endpoint's secret with a grace period (as Stripe's "roll secret"): the new secret
 * is shown once, and until the grace period ends every delivery carries a v1 signature made
 * with each secret (`t=…,v1=<new>,v1=<old>`), so the receiver can switch secrets at its own
 * pace without refusing a delivery; then only the new one signs, and the old one is forgotten.
 */
describe('events: rolling a webhook secret with a grace period', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let receiver: Receiver;
  let verify: ReadmeVerifier;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    receiver = await startReceiver();
    verify = await readmeVerifier();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });
  beforeEach(async () => {
    receiver.received.length = 0;
    receiver.respond = () => 200;
    for (const org of [acme, globex]) {
      for (const hook of (await api(t, org).get('/webhooks')).body.webhooks as Json[]) await api(t, org).delete(`/webhooks/${hook.id}`);
    }
    await t.container.events.publishAll();
  });

  async function addHook(org = acme): Promise<Json> {
    const res = await api(t, org).post('/webhooks', { url: receiver.url });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }

  async function rotate(hookId: string, body?: Json, org = acme): Promise<Json> {
    const res = await api(t, org).post(`/webhooks/${hookId}/rotate-secret`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  /** One SCIM change, published and delivered at `now`; the request the receiver got. */
  async function deliverOne(email: string, now = new Date()): Promise<{ header: string; body: string }> {
    const before = receiver.received.length;
    await postUser(t, acme.tokens.scim, email);
    await t.container.events.publishAll(now);
    await t.container.events.deliverDue(now);
    assert.equal(receiver.received.length, before + 1, 'one delivery');
    const request = receiver.received.at(-1)!;
    return { header: String(request.headers['x-gatehouse-signature']), body: request.body };
  }

  const v1s = (header: string) => header.split(',').filter((part) => part.startsWith('v1=')).map((part) => part.slice(3));
  const only = (header: string, v1: string) => `${header.split(',')[0]},v1=${v1}`;

  it('shows the new secret once, and signs with the new and the old secret until the grace period ends, then with the new only', async () => {
    const hook = await addHook();
    const rotated = await rotate(hook.id, { graceHours: 2 });
    assert.match(rotated.secret, /^whsec_[A-Za-z0-9_-]{40,}$/);
    assert.notEqual(rotated.secret, hook.secret);
    const expires = new Date(rotated.previousSecretExpiresAt).getTime();
    assert.ok(Math.abs(expires - (Date.now() + 2 * HOUR)) < 60_000, `expires in 2 h: ${rotated.previousSecretExpiresAt}`);
    const read = (await api(t, acme).get(`/webhooks/${hook.id}`)).body;
    assert.equal(read.secret, undefined, 'the secret is never read back');
    assert.equal(read.previousSecret, undefined, 'nor the previous one');
    assert.equal(read.previousSecretExpiresAt, rotated.previousSecretExpiresAt);

    const during = await deliverOne('grace@acme.test');
    assert.match(during.header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const [first, second] = v1s(during.header);
    assert.ok(verify(rotated.secret, only(during.header, first!), during.body), 'the first v1 is the new secret’s');
    assert.ok(verify(hook.secret, only(during.header, second!), during.body), 'the second v1 is the old secret’s');
    assert.ok(verify(rotated.secret, during.header, during.body), 'the README snippet verifies it with the new secret');
    assert.ok(verify(hook.secret, during.header, during.body), 'and with the old one');
    assert.ok(!verify('whsec_neither-of-the-two-secrets', during.header, during.body));

    const later = new Date(expires + 1000);
    const after = await deliverOne('after@acme.test', later);
    assert.equal(v1s(after.header).length, 1, after.header);
    const tolerance = 3 * 3600;
    assert.ok(verify(rotated.secret, after.header, after.body, tolerance));
    assert.ok(!verify(hook.secret, after.header, after.body, tolerance), 'the old secret signs nothing after the grace period');
  });

  it('signs retries of the queue with both secrets during the grace period, and with the new one after it', async () => {
    const hook = await addHook();
    const rotated = await rotate(hook.id, { graceHours: 1 });
    receiver.respond = (n) => (n === 1 ? 500 : 200);
    const start = new Date();
    await postUser(t, acme.tokens.scim, 'retry@acme.test');
    await t.container.events.publishAll(start);
    assert.equal((await t.container.events.deliverDue(start)).retried, 1);
    assert.equal((await t.container.events.deliverDue(new Date(start.getTime() + BASE_DELAY + 1000))).delivered, 1);
    const retry = receiver.received[1]!;
    const header = String(retry.headers['x-gatehouse-signature']);
    assert.equal(v1s(header).length, 2, header);
    assert.ok(verify(rotated.secret, header, retry.body) && verify(hook.secret, header, retry.body));

    // A retry due after the grace period: the new secret only.
    receiver.respond = (n) => (n === 3 ? 500 : 200);
    const late = new Date(start.getTime() + 2 * HOUR);
    await postUser(t, acme.tokens.scim, 'retry-late@acme.test');
    await t.container.events.publishAll(late);
    assert.equal((await t.container.events.deliverDue(late)).retried, 1);
    assert.equal((await t.container.events.deliverDue(new Date(late.getTime() + BASE_DELAY + 1000))).delivered, 1);
    const lateHeader = String(receiver.received[3]!.headers['x-gatehouse-signature']);
    assert.equal(v1s(lateHeader).length, 1, lateHeader);
  });

  it('rolls with a 24-hour grace period by default, and at once (no old secret kept) with graceHours 0', async () => {
    const hook = await addHook();
    const rolled = await rotate(hook.id);
    const expires = new Date(rolled.previousSecretExpiresAt).getTime();
    assert.ok(Math.abs(expires - (Date.now() + 24 * HOUR)) < 60_000, `default 24 h: ${rolled.previousSecretExpiresAt}`);

    const now = await rotate(hook.id, { graceHours: 0 });
    assert.equal(now.previousSecretExpiresAt, null);
    assert.equal((await api(t, acme).get(`/webhooks/${hook.id}`)).body.previousSecretExpiresAt, null);
    const [row] = await sql(t, 'select previous_secret, previous_secret_expires_at from webhooks where id = ?', [hook.id]);
    assert.deepEqual([row!.previous_secret, row!.previous_secret_expires_at], [null, null], 'nothing of the old secrets is kept');
    const delivered = await deliverOne('immediate@acme.test');
    assert.equal(v1s(delivered.header).length, 1);
    assert.ok(verify(now.secret, delivered.header, delivered.body));
    assert.ok(!verify(rolled.secret, delivered.header, delivered.body));
  });

  it('keeps only the secret just replaced when rolled again during a grace period', async () => {
    const hook = await addHook();
    const second = await rotate(hook.id, { graceHours: 5 });
    const third = await rotate(hook.id, { graceHours: 1 });
    const delivered = await deliverOne('twice@acme.test');
    assert.equal(v1s(delivered.header).length, 2);
    assert.ok(verify(third.secret, delivered.header, delivered.body));
    assert.ok(verify(second.secret, delivered.header, delivered.body));
    assert.ok(!verify(hook.secret, delivered.header, delivered.body), 'the first secret is dropped');
    assert.ok(Math.abs(new Date(third.previousSecretExpiresAt).getTime() - (Date.now() + HOUR)) < 60_000);
  });

  it('rolls to a secret the caller gives (kept in a vault), with the same grace period', async () => {
    const hook = await addHook();
    const given = 'whsec_from-the-teams-own-vault-0123456789';
    const rolled = await rotate(hook.id, { secret: given, graceHours: 1 });
    assert.equal(rolled.secret, given);
    const delivered = await deliverOne('vault@acme.test');
    assert.ok(verify(given, delivered.header, delivered.body) && verify(hook.secret, delivered.header, delivered.body));
  });

  it('audits the roll with its grace period and never the secrets themselves', async () => {
    const hook = await addHook();
    const rolled = await rotate(hook.id, { graceHours: 3 });
    const patched = 'whsec_patched-in-by-the-admin-api-0123456789';
    assert.equal((await api(t, acme).patch(`/webhooks/${hook.id}`, { secret: patched })).status, 200);
    const rows = await sql(t, 'select action, details from audit_events where target_id = ? order by id', [hook.id]);
    assert.deepEqual(rows.map((r) => r.action), ['webhook.created', 'webhook.secret_rotated', 'webhook.updated']);
    const details = (r: Json) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details);
    assert.deepEqual(details(rows[1]!), { graceHours: 3, previousSecretExpiresAt: rolled.previousSecretExpiresAt, secret: 'generated' });
    assert.deepEqual(details(rows[2]!).changes.secret, 'rotated at once (no grace period)');
    const everything = JSON.stringify(await sql(t, 'select * from audit_events where org_id = ?', [acme.id]));
    for (const secret of [hook.secret, rolled.secret, patched]) assert.ok(!everything.includes(secret), 'no secret in the audit trail');
    const feed = (await api(t, acme).get('/events?limit=1000')).body.events as Json[];
    assert.ok(!feed.some((e) => String(e.type).startsWith('webhook')), 'no product event for a webhook change');
  });

  it('PATCH with a secret replaces it at once and ends a grace period in progress', async () => {
    const hook = await addHook();
    await rotate(hook.id, { graceHours: 5 });
    const patched = 'whsec_patched-in-by-the-admin-api-0123456789';
    const res = await api(t, acme).patch(`/webhooks/${hook.id}`, { secret: patched });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.previousSecretExpiresAt, null);
    const delivered = await deliverOne('patched@acme.test');
    assert.equal(v1s(delivered.header).length, 1);
    assert.ok(verify(patched, delivered.header, delivered.body));
  });

  it('refuses a graceHours that is not a whole number from 0 to 168, naming graceHours, and changes nothing', async () => {
    const hook = await addHook();
    for (const graceHours of [-1, 169, 1.5, '24', null]) {
      const res = await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, { graceHours });
      assert.equal(res.status, 400, JSON.stringify(graceHours));
      assert.deepEqual(res.body.error.details.problems.map((p: Json) => p.field), ['graceHours'], JSON.stringify(res.body));
    }
    const unknown = await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, { grace: 1 });
    assert.equal(unknown.status, 400);
    const spaced = await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, { secret: 'sixteen chars but spaced' });
    assert.deepEqual(spaced.body.error.details.problems.map((p: Json) => p.field), ['secret']);
    const max = await rotate(hook.id, { graceHours: 168 });
    assert.ok(Math.abs(new Date(max.previousSecretExpiresAt).getTime() - (Date.now() + 168 * HOUR)) < 60_000);
    const rows = await sql(t, `select count(*)::int as n from audit_events where target_id = ? and action = 'webhook.secret_rotated'`, [hook.id]);
    assert.equal(rows[0]!.n, 1, 'only the accepted roll is audited');
  });

  it('lets an org roll only its own endpoints: another org’s is not found and keeps its secret', async () => {
    const hook = await addHook(acme);
    const res = await api(t, globex).post(`/webhooks/${hook.id}/rotate-secret`, { graceHours: 1 });
    assert.equal(res.status, 404);
    assert.equal((await api(t, acme).post('/webhooks/not-a-uuid/rotate-secret', {})).status, 404);
    const [row] = await sql(t, 'select secret, previous_secret from webhooks where id = ?', [hook.id]);
    assert.deepEqual([row!.secret, row!.previous_secret], [hook.secret, null]);
  });

  it('forgets the old secret once its grace period is over: the daily housekeeping clears it', async () => {
    const hook = await addHook();
    const other = await addHook();
    const rolled = await rotate(hook.id, { graceHours: 1 });
    await rotate(other.id, { graceHours: 48 });
    const expires = new Date(rolled.previousSecretExpiresAt);
    // Past its expiry and not yet cleared: it signs nothing (the worker's check) and reads as none.
    const third = await addHook();
    await rotate(third.id, { graceHours: 1 });
    await sql(t, `update webhooks set previous_secret_expires_at = now() - interval '1 minute' where id = ?`, [third.id]);
    assert.equal((await api(t, acme).get(`/webhooks/${third.id}`)).body.previousSecretExpiresAt, null);
    assert.equal((await api(t, acme).get('/webhooks')).body.webhooks.find((w: Json) => w.id === third.id).previousSecretExpiresAt, null);
    const later = new Date(expires.getTime() + 1000);
    const pruned = await t.container.purge.pruneOnce(later);
    assert.equal(pruned.webhookSecrets, 2);
    const rows = await sql(t, 'select id, previous_secret is null as forgotten from webhooks where id in (?, ?)', [hook.id, other.id]);
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, r.forgotten])), { [hook.id]: true, [other.id]: false }, 'one still in its grace period stays');
    assert.equal((await api(t, acme).get(`/webhooks/${hook.id}`)).body.previousSecretExpiresAt, null);
  });
});
