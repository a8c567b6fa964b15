import assert from 'node:assert/strict';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createApiToken } from '../../src/directory/tokens.ts';
import { recordAuditSql } from '../../src/directory/audit.ts';
import { addUser, api, auth, createPeopleTestApp, scopeOf } from '../people/support.ts';
import { configureSaml } from '../saml/support/sp.ts';

interface EventView {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string | null; label: string };
  target: { type: string; id: string | null; label: string | null } | null;
  changes: Record<string, { before: unknown; after: unknown }>;
  details: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

describe('the audit trail API', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let robot: { id: string; token: string };
  let ada: string;
  let bob: string;

  const audit = (org: SeededOrg, query = '', token = org.tokens.admin) => api(t, org, token).get(`/audit${query}`);
  const events = async (org: SeededOrg, query = '', token?: string): Promise<EventView[]> => {
    const res = await audit(org, query, token).expect(200);
    return res.body.events as EventView[];
  };
  /** Every page of a listing, following nextCursor. */
  const allPages = async (path: string, limit: number): Promise<{ pages: number; events: EventView[] }> => {
    const out: EventView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: { body: { events: EventView[]; nextCursor: string | null } } = await api(t, acme).get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      out.push(...(res.body.events as EventView[]));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    return { pages, events: out };
  };

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    const created = await createApiToken(t.container.fork(), scopeOf(acme), { scope: 'admin', name: 'Robot Script' });
    robot = { id: created.record.id, token: created.token };
    ada = await addUser(t, acme, { userName: 'ada@acme.test' });
    bob = await addUser(t, acme, { userName: 'bob@acme.test' });
    await request(t.app)
      .patch(`/api/orgs/acme/users/${ada}`)
      .set(auth(acme.tokens.admin))
      .set('X-Request-Id', 'req-ada-title')
      .set('User-Agent', 'audit-test/1.0')
      .send({ title: 'CTO' })
      .expect(200);
    await api(t, acme, robot.token).post(`/users/${bob}/disable`).expect(200);
    await addUser(t, globex, { userName: 'gus@globex.test' });
  });
  after(() => t.close());

  it('answers events newest first, each with actor, target, changes, request id, IP and user agent', async () => {
    const list = await events(acme);
    // Newest first in commit order (the stored id; the shown ids are opaque: audit-ids.test.ts).
    const stored = await t.container.fork().execute('select action, target_id from audit_events where org_id = ? order by id desc limit 50', [acme.id]);
    assert.deepEqual(list.map((e) => [e.action, e.target?.id ?? null]), stored.map((r) => [r.action, r.target_id]));
    const edit = list.find((e) => e.requestId === 'req-ada-title')!;
    assert.equal(edit.action, 'user.updated');
    assert.deepEqual(edit.actor, { type: 'admin_token', id: edit.actor.id, label: 'acme admin' });
    assert.ok(edit.actor.id);
    assert.deepEqual(edit.target, { type: 'user', id: ada, label: 'ada@acme.test' });
    assert.deepEqual(edit.changes, { title: { before: null, after: 'CTO' } });
    assert.equal(edit.details.changes, undefined);
    assert.equal(edit.userAgent, 'audit-test/1.0');
    assert.ok(edit.ip);
    assert.ok(!Number.isNaN(Date.parse(edit.at)));
  });

  it('answers list fields of an update with their values before and after', async () => {
    await api(t, acme).patch(`/users/${ada}`, { phone: '+44 20 7946 0000' }).expect(200);
    const [edit] = await events(acme, `?target=${ada}&action=user.updated&limit=1`);
    assert.deepEqual(edit!.changes.phoneNumbers, { before: [], after: [{ value: '+44 20 7946 0000', type: 'mobile', primary: true }] });
  });

  it('filters by actor id, and by actor label (a token name) case-insensitively', async () => {
    const byLabel = await events(acme, '?actor=robot%20script');
    assert.ok(byLabel.length >= 1);
    assert.ok(byLabel.every((e) => e.actor.id === robot.id));
    assert.ok(byLabel.some((e) => e.action === 'user.disabled' && e.target?.id === bob));
    assert.deepEqual((await events(acme, `?actor=${robot.id}`)).map((e) => e.id), byLabel.map((e) => e.id));
  });

  it('filters by target id', async () => {
    const list = await events(acme, `?target=${bob}`);
    assert.deepEqual(list.map((e) => e.action), ['user.disabled', 'user.created']);
    assert.ok(list.every((e) => e.target?.id === bob));
  });

  it('filters by exact action and by an action prefix written "user.", "user.*" or "user"', async () => {
    const exact = await events(acme, '?action=user.disabled');
    assert.deepEqual(exact.map((e) => e.target?.id), [bob]);
    const prefix = await events(acme, '?action=user.');
    assert.ok(prefix.length >= 4);
    assert.ok(prefix.every((e) => e.action.startsWith('user.')));
    assert.deepEqual((await events(acme, '?action=user.*')).map((e) => e.id), prefix.map((e) => e.id));
    assert.deepEqual((await events(acme, '?action=user')).map((e) => e.id), prefix.map((e) => e.id), 'every action has a dot: a bare word is its family');
  });

  it('filters by time: since inclusive, until exclusive', async () => {
    const [latest] = await events(acme, '?limit=1');
    await sleep(20);
    const carl = await addUser(t, acme, { userName: 'carl@acme.test' });
    const [carlCreated] = await events(acme, `?target=${carl}`);
    const since = await events(acme, `?since=${encodeURIComponent(carlCreated!.at)}`);
    assert.ok(since.some((e) => e.id === carlCreated!.id));
    assert.ok(!since.some((e) => e.id === latest!.id));
    const until = await events(acme, `?until=${encodeURIComponent(carlCreated!.at)}&limit=200`);
    assert.ok(!until.some((e) => e.id === carlCreated!.id));
    assert.ok(until.some((e) => e.id === latest!.id));
  });

  it('pages through every event exactly once, newest first, with the cursor', async () => {
    const whole = await events(acme, '?limit=200');
    assert.ok(whole.length >= 7, `only ${whole.length} events`);
    const paged = await allPages('/audit', 3);
    assert.equal(paged.pages, Math.ceil(whole.length / 3));
    assert.deepEqual(paged.events.map((e) => e.id), whole.map((e) => e.id));
    const filtered = await allPages('/audit?action=user.', 2);
    assert.deepEqual(filtered.events.map((e) => e.id), (await events(acme, '?action=user.&limit=200')).map((e) => e.id));
  });

  it("lists one person's activity: what they did and what was done to them", async () => {
    const scope = { ...scopeOf(acme), actor: { type: 'user' as const, id: ada, label: 'ada@acme.test' } };
    await recordAuditSql(t.container.fork(), scope, { action: 'session.revoked', target: { type: 'session', id: 'some-session' }, details: {} });
    const { events: activity } = await allPages(`/users/${ada}/activity`, 2);
    assert.deepEqual(activity.map((e) => e.action), ['session.revoked', 'user.updated', 'user.updated', 'user.created']);
    assert.equal(activity[0]!.actor.id, ada);
    assert.ok(activity.slice(1).every((e) => e.target?.id === ada));
    assert.deepEqual((await api(t, acme).get(`/users/${bob}/activity`).expect(200)).body.events.map((e: EventView) => e.action), ['user.disabled', 'user.created']);
  });

  it("keeps orgs apart: another org's token sees none of this org's events", async () => {
    const acmeIds = new Set((await events(acme, '?limit=200')).map((e) => e.id));
    const theirs = await events(globex, '?limit=200');
    assert.ok(theirs.length >= 1);
    assert.ok(theirs.every((e) => !acmeIds.has(e.id)));
    assert.deepEqual(await events(globex, `?target=${ada}`), []);
    assert.deepEqual(await events(globex, '?actor=acme%20admin'), []);
    await api(t, globex).get(`/users/${ada}/activity`).expect(404);
    await request(t.app).get('/api/orgs/acme/audit').set(auth(globex.tokens.admin)).expect(403);
  });

  it('needs the audit.read permission', async () => {
    const narrow = await createApiToken(t.container.fork(), scopeOf(acme), { scope: 'admin', name: 'editor only', permissions: ['users.edit'] });
    const res = await audit(acme, '', narrow.token).expect(403);
    assert.equal(res.body.error.details.missingPermission, 'audit.read');
    await api(t, acme, narrow.token).get(`/users/${ada}/activity`).expect(403);
    const reader = await createApiToken(t.container.fork(), scopeOf(acme), { scope: 'admin', name: 'auditor', permissions: ['audit.read'] });
    await audit(acme, '', reader.token).expect(200);
  });

  const bad: Array<[string, string]> = [
    ['?since=yesterday', 'since'],
    ['?until=2026-13-01T00:00:00Z', 'until'],
    ['?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
    ['?limit=0', 'limit'],
    ['?limit=abc', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    ['?action=User%20Updated', 'action'],
    ['?action=*', 'action'],
    ['?action=user.*.updated', 'action'],
    ['?action=.updated', 'action'],
    ['?colour=red', 'colour'],
  ];
  for (const [query, field] of bad) {
    it(`answers 400 naming ${field} for ${query}`, async () => {
      const res = await audit(acme, query).expect(400);
      assert.equal(res.body.error.code, 'invalid_input');
      assert.ok(res.body.error.details.problems.some((p: { field: string }) => p.field === field), JSON.stringify(res.body));
    });
  }

  it('shows a settings change with each changed setting before and after', async () => {
    await api(t, acme).patch('/settings', { sessionCap: 5, passwordPolicy: { minLength: 14 } }).expect(200);
    const [event] = await events(acme, '?action=org.settings_updated&limit=1');
    assert.deepEqual(event!.changes, {
      sessionCap: { before: 3, after: 5 },
      passwordPolicy: { before: { minLength: 12, requireClasses: 3 }, after: { minLength: 14, requireClasses: 3 } },
    });
    assert.deepEqual(event!.target, { type: 'org', id: acme.id, label: 'acme' });
  });

  it('shows a SAML reconfiguration with each changed option before and after', async () => {
    await configureSaml(t.app, acme, { jit: 'off' });
    await configureSaml(t.app, acme, { jit: 'create', allowIdpInitiated: true });
    const [event] = await events(acme, '?action=saml.configured&limit=1');
    assert.deepEqual(event!.changes, { jit: { before: 'off', after: 'create' }, allowIdpInitiated: { before: false, after: true } });
  });

  it('never shows a token secret or its hash', async () => {
    const res = await api(t, acme).post('/tokens', { scope: 'scim', name: 'Okta' }).expect(201);
    const secret = String(res.body.token);
    const text = JSON.stringify(await events(acme, '?limit=200'));
    assert.ok(!text.includes(secret));
    const hash = (await t.container.fork().execute('select token_hash from api_tokens where id = ?', [res.body.id]))[0]!.token_hash as string;
    assert.ok(!text.includes(hash));
  });
});
