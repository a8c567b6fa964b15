import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { defaultOrgSettings, resolveOrgSettings } from '../../src/directory/org-settings.ts';
import { api, createPeopleTestApp, sql } from './support.ts';

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
      massDisableThreshold: 0.2,
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
  ];
  for (const [body, field] of bad) {
    it(`refuses ${JSON.stringify(body)} naming ${field}, changing nothing`, async () => {
      const before = (await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0];
      const res = await api(t, acme).patch('/settings', { ...body, sessionCap: 'sessionCap' in body ? body.sessionCap : 5 }).expect(400);
      assert.ok(res.body.error.details.problems.some((p: { field: string }) => p.field === field), JSON.stringify(res.body));
      assert.deepEqual((await sql(t, 'select settings, version from organizations where id = ?', [acme.id]))[0], before);
    });
  }

  it('falls back to the default for a stored value that no longer validates', () => {
    const settings = resolveOrgSettings({ sessionCap: 0, invitationTtlDays: 14, passwordPolicy: { minLength: 20 } });
    assert.equal(settings.sessionCap, defaultOrgSettings.sessionCap);
    assert.equal(settings.invitationTtlDays, 14);
    assert.deepEqual(settings.passwordPolicy, { minLength: 20, requireClasses: 3 });
  });
});
