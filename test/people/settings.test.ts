import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { defaultOrgSettings, resolveOrgSettings, updateOrgSettings } from '../../src/directory/org-settings.ts';
import type { ValidationError } from '../../src/directory/errors.ts';
import { addGroup, addUser, api, auth, createPeopleTestApp, scopeOf, sql } from './support.ts';
import { configureSaml } from '../saml/support/sp.ts';

describe('org settings', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  it('starts from the documented defaults', async () => {
    const res = await api(t, acme).get('/settings').expect(200);
    assert.deepEqual(res.body, {
      seatLimit: null,
      invitationTtlDays: 7,
      sessionCap: 3,
      ssoEnforced: false,
      requireTwoFactor: false,
      passwordPolicy: { minLength: 12, requireClasses: 3 },
      roles: ['viewer', 'editor', 'admin'],
      allowedRedirectUrls: [],
      ssoDomains: [],
      massDisableThreshold: 0.2,
      scimRateLimit: null,
    });
  });

  it('changes settings, merges a partial password policy, stores only overrides and records one audit event', async () => {
    const res = await api(t, acme).patch('/settings', { seatLimit: 10, passwordPolicy: { minLength: 16 }, allowedRedirectUrls: ['https://app.example.com/cb'] }).expect(200);
    assert.equal(res.body.seatLimit, 10);
    assert.deepEqual(res.body.passwordPolicy, { minLength: 16, requireClasses: 3 });
    assert.equal(res.body.sessionCap, 3);
    const stored = (await sql(t, 'select settings from organizations where id = ?', [acme.id]))[0]!.settings as Record<string, unknown>;
    assert.deepEqual(Object.keys(stored).sort(), ['allowedRedirectUrls', 'passwordPolicy', 'seatLimit']);
    const events = await sql(t, `select details from audit_events where org_id = ? and action = 'org.settings_updated'`, [acme.id]);
    assert.equal(events.length, 1);
    assert.deepEqual((events[0]!.details as { changes: { seatLimit: unknown } }).changes.seatLimit, { from: null, to: 10 });
    await api(t, acme).patch('/settings', { seatLimit: 10 }).expect(200);
    assert.equal((await sql(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'org.settings_updated'`, [acme.id]))[0]!.n, 1);
    await api(t, acme).patch('/settings', { seatLimit: null }).expect(200);
    assert.equal((await api(t, acme).get('/settings')).body.seatLimit, null);
  });

  const bad: Array<[Record<string, unknown>, string]> = [
    [{ seatLimit: -1 }, 'seatLimit'],
    [{ seatLimit: 2.5 }, 'seatLimit'],
    [{ invitationTtlDays: 0 }, 'invitationTtlDays'],
    [{ sessionCap: '3' }, 'sessionCap'],
    [{ ssoEnforced: 'yes' }, 'ssoEnforced'],
    [{ requireTwoFactor: 1 }, 'requireTwoFactor'],
    [{ passwordPolicy: { minLength: 4 } }, 'passwordPolicy.minLength'],
    [{ passwordPolicy: { requireClasses: 5 } }, 'passwordPolicy.requireClasses'],
    [{ passwordPolicy: { symbols: true } }, 'passwordPolicy.symbols'],
    [{ roles: [] }, 'roles'],
    [{ roles: ['viewer', 'Bad Role'] }, 'roles.1'],
    [{ allowedRedirectUrls: ['http://evil.example.com/'] }, 'allowedRedirectUrls.0'],
    [{ allowedRedirectUrls: ['javascript:alert(1)'] }, 'allowedRedirectUrls.0'],
    [{ massDisableThreshold: 0 }, 'massDisableThreshold'],
    [{ massDisableThreshold: 1.5 }, 'massDisableThreshold'],
    [{ colour: 'red' }, 'colour'],
    [{ scimRateLimit: 100 }, 'scimRateLimit'],
    [{ scimRateLimit: { requestsPerSecond: 0, burst: 10 } }, 'scimRateLimit.requestsPerSecond'],
    [{ scimRateLimit: { requestsPerSecond: 5, burst: 0.5 } }, 'scimRateLimit.burst'],
    [{ scimRateLimit: { requestsPerSecond: 5 } }, 'scimRateLimit.burst'],
    [{ scimRateLimit: { requestsPerSecond: 5, burst: 10, window: 1 } }, 'scimRateLimit.window'],
  ];
  for (const [body, field] of bad) {
    it(`refuses ${JSON.stringify(body)} naming ${field}, changing nothing`, async () => {
      const before = (await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0];
      const res = await api(t, acme).patch('/settings', { ...body, sessionCap: 'sessionCap' in body ? body.sessionCap : 5 }).expect(400);
      assert.ok(res.body.error.details.problems.some((p: { field: string }) => p.field === field), JSON.stringify(res.body));
      assert.deepEqual((await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0], before);
    });
  }

  it('gives every problem its own field and a reason, once', async () => {
    const res = await api(t, acme).patch('/settings', { seatLimit: 2.5, roles: ['ok', 'Not OK'], colour: 'red' }).expect(400);
    assert.deepEqual(res.body.error.details.problems, [
      { field: 'seatLimit', reason: 'must be a whole number from 0 to 10000000' },
      { field: 'roles.1', reason: 'must be a lower-case name (letters, digits, _ or -, at most 50)' },
      { field: 'colour', reason: 'is not a recognised setting' },
    ]);
  });

  it('sets and clears a SCIM rate limit of the org, audited before and after', async () => {
    const res = await api(t, acme).patch('/settings', { scimRateLimit: { requestsPerSecond: 2.5, burst: 20 } }).expect(200);
    assert.deepEqual(res.body.scimRateLimit, { requestsPerSecond: 2.5, burst: 20 });
    await api(t, acme).patch('/settings', { scimRateLimit: null }).expect(200);
    assert.equal((await api(t, acme).get('/settings')).body.scimRateLimit, null);
    const events = await sql(t, `select details from audit_events where org_id = ? and action = 'org.settings_updated' and details->'changes'->'scimRateLimit' is not null order by id`, [acme.id]);
    assert.deepEqual(events.map((e) => (e.details as { changes: Record<string, unknown> }).changes.scimRateLimit), [
      { from: null, to: { requestsPerSecond: 2.5, burst: 20 } },
      { from: { requestsPerSecond: 2.5, burst: 20 }, to: null },
    ]);
  });

  it("throttles the org's SCIM clients at its own rate limit, other orgs at the server's", async () => {
    const slow = await seedOrg(t.container, 'slow');
    const other = await seedOrg(t.container, 'other');
    await api(t, slow).patch('/settings', { scimRateLimit: { requestsPerSecond: 0.01, burst: 2 } }).expect(200);
    const scim = (org: SeededOrg) => request(t.app).get('/scim/v2/Users').set(auth(org.tokens.scim));
    await scim(slow).expect(200);
    await scim(slow).expect(200);
    const refused = await scim(slow).expect(429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    for (let i = 0; i < 4; i++) await scim(other).expect(200);
    await api(t, slow).patch('/settings', { scimRateLimit: null }).expect(200);
    await scim(slow).expect(200);
  });

  describe('ssoDomains (the operator’s)', () => {
    const operator = (body: Record<string, unknown>) => updateOrgSettings(t.container.fork(), scopeOf(acme), body, { operator: true });

    it('refuses ssoDomains from the admin API, naming the field and who sets it, and changes nothing', async () => {
      const before = (await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0];
      const res = await api(t, acme).patch('/settings', { ssoDomains: ['bigcorp.test'], sessionCap: 4 }).expect(400);
      assert.deepEqual(res.body.error.details.problems.map((p: { field: string }) => p.field), ['ssoDomains']);
      assert.match(res.body.error.message, /server operator/);
      assert.deepEqual((await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0], before);
    });

    it('lets the operator set them, lower-cased, and refuses a URL, an @ or a repeat, naming the entry', async () => {
      assert.deepEqual((await operator({ ssoDomains: ['Acme.test', 'acme-corp.test'] })).settings.ssoDomains, ['acme.test', 'acme-corp.test']);
      const refused = async (ssoDomains: string[]) => {
        try {
          await operator({ ssoDomains });
        } catch (error) {
          return (error as ValidationError).problems.map((p) => p.field);
        }
        return [];
      };
      assert.deepEqual(await refused(['acme.test', 'https://acme.test']), ['ssoDomains.1']);
      assert.deepEqual(await refused(['@acme.test']), ['ssoDomains.0']);
      assert.deepEqual(await refused(['acme.test', 'acme.test']), ['ssoDomains']);
      assert.deepEqual((await api(t, acme).get('/settings')).body.ssoDomains, ['acme.test', 'acme-corp.test']);
      await operator({ ssoDomains: [] });
    });
  });

  describe('ssoEnforced', () => {
    it('refuses to enforce single sign-on while the org has no SAML connection (409 naming ssoEnforced): nobody could sign in', async () => {
      const lone = await seedOrg(t.container, 'no-idp-yet');
      const before = (await sql(t, 'select settings, version from organizations where id = ?', [lone.id]))[0];
      const res = await api(t, lone).patch('/settings', { ssoEnforced: true }).expect(409);
      assert.equal(res.body.error.code, 'conflict');
      assert.equal(res.body.error.details.field, 'ssoEnforced');
      assert.match(res.body.error.message, /no single sign-on connection/);
      assert.deepEqual((await sql(t, 'select settings, version from organizations where id = ?', [lone.id]))[0], before);
      // Switching it off, or leaving it off, is never refused.
      await api(t, lone).patch('/settings', { ssoEnforced: false }).expect(200);
    });

    it('enforces single sign-on once a SAML connection exists', async () => {
      const ready = await seedOrg(t.container, 'idp-ready');
      await configureSaml(t.app, ready);
      assert.equal((await api(t, ready).patch('/settings', { ssoEnforced: true }).expect(200)).body.ssoEnforced, true);
    });
  });

  describe('roles', () => {
    it('adds a role and removes one nobody holds', async () => {
      await api(t, acme).patch('/settings', { roles: ['viewer', 'editor', 'admin', 'auditor'] }).expect(200);
      const res = await api(t, acme).patch('/settings', { roles: ['viewer', 'editor', 'admin'] }).expect(200);
      assert.deepEqual(res.body.roles, ['viewer', 'editor', 'admin']);
    });

    it('refuses to remove a role memberships hold, naming roles, the role and how many use it', async () => {
      const userId = await addUser(t, acme, { userName: 'role-holder' });
      await addGroup(t, acme, 'Ward 7', [userId], 'editor');
      const before = (await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0];
      const res = await api(t, acme).patch('/settings', { roles: ['viewer', 'admin'] }).expect(409);
      assert.equal(res.body.error.code, 'conflict');
      assert.equal(res.body.error.details.field, 'roles');
      assert.deepEqual(res.body.error.details.roles, [{ role: 'editor', memberships: 1, invitations: 0 }]);
      assert.match(res.body.error.message, /roles: cannot remove "editor" \(1 membership\)/);
      assert.deepEqual((await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0], before);
    });
  });

  it('falls back to the default for a stored value that no longer validates', () => {
    const settings = resolveOrgSettings({ sessionCap: 0, invitationTtlDays: 14, passwordPolicy: { minLength: 20 } });
    assert.equal(settings.sessionCap, defaultOrgSettings.sessionCap);
    assert.equal(settings.invitationTtlDays, 14);
    assert.deepEqual(settings.passwordPolicy, { minLength: 20, requireClasses: 3 });
  });
});
