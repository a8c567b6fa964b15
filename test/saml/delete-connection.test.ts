import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts';
import { configureSaml, postAcs, responseFor, seedUser } from './support/sp.ts';
import { sql } from '../people/support.ts';

/**
 * An org admin removes a SAML connection (a misspelt one, or the IdP the org
 * left): it stops signing anyone in at once, its NameID links go with it, the
 * people stay. An SSO-enforced org keeps its last connection.
 */
describe('deleting a SAML connection', () => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const api = (slug: string, token: string) => (method: 'get' | 'put' | 'delete' | 'patch', path: string) =>
    request(t.app)[method](`/api/orgs/${slug}${path}`).set('Authorization', `Bearer ${token}`);

  it('stops the connection signing anyone in, removes its links, keeps the people, and records saml.deleted', async () => {
    const org = await seedOrg(t.container, 'leaving');
    await configureSaml(t.app, org, { allowIdpInitiated: true }, 'oldidp');
    const user = await seedUser(t.container, org, 'lee@leaving.test');
    await postAcs(t.app, 'leaving', responseFor('leaving', { nameId: 'lee@leaving.test', connection: 'oldidp' }), { connection: 'oldidp' }).expect(303);
    assert.equal((await sql(t, 'select count(*)::int as n from sso_links where user_id = ?', [user.id]))[0]!.n, 1);

    const res = await api('leaving', org.tokens.admin)('delete', '/saml/oldidp').expect(200);
    assert.deepEqual(res.body, { deleted: true, name: 'oldidp', linksRemoved: 1 });
    await postAcs(t.app, 'leaving', responseFor('leaving', { nameId: 'lee@leaving.test', connection: 'oldidp' }), { connection: 'oldidp' }).expect(404);
    assert.equal((await sql(t, 'select count(*)::int as n from sso_links where user_id = ?', [user.id]))[0]!.n, 0);
    assert.equal((await sql(t, 'select state from users where id = ?', [user.id]))[0]!.state, 'active');
    const [audit] = await sql(t, `select target_label, details from audit_events where org_id = ? and action = 'saml.deleted'`, [org.id]);
    assert.equal(audit!.target_label, 'oldidp');
    assert.equal((audit!.details as { linksRemoved: number }).linksRemoved, 1);
    await api('leaving', org.tokens.admin)('delete', '/saml/oldidp').expect(404);
  });

  it('keeps the last connection of an org that enforces single sign-on (409), and deletes it once that is off', async () => {
    const org = await seedOrg(t.container, 'enforced');
    await configureSaml(t.app, org);
    await request(t.app).patch('/api/orgs/enforced/settings').set('Authorization', `Bearer ${org.tokens.admin}`).send({ ssoEnforced: true }).expect(200);
    const refused = await api('enforced', org.tokens.admin)('delete', '/saml').expect(409);
    assert.match(refused.body.error.message, /single sign-on/);
    await request(t.app).patch('/api/orgs/enforced/settings').set('Authorization', `Bearer ${org.tokens.admin}`).send({ ssoEnforced: false }).expect(200);
    await api('enforced', org.tokens.admin)('delete', '/saml').expect(200);
    assert.equal((await api('enforced', org.tokens.admin)('get', '/saml').expect(200)).body.configured, false);
  });

  it("never reaches another org's connection of the same name", async () => {
    const mine = await seedOrg(t.container, 'mine');
    const theirs = await seedOrg(t.container, 'theirs');
    await configureSaml(t.app, theirs);
    await api('mine', mine.tokens.admin)('delete', '/saml').expect(404);
    assert.equal((await api('theirs', theirs.tokens.admin)('get', '/saml').expect(200)).body.configured, true);
  });
});
