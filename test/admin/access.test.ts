import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, sql } from '../people/support.ts';
import { csv } from '../csv/import-support.ts';
import { permissions } from '../../src/directory/permissions.ts';
import { asPerson, asToken, signIn, tokenWith, type SignedIn } from './support.ts';

/** Issue 7: org admins grant roles and permissions; nobody hands out (to a person or a token) what they do not hold. */
describe('access management', function () {
  this.timeout(120_000);
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let admin: SignedIn;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    admin = await signIn(t, acme, 'ada@acme.test', { orgRole: 'org_admin' });
  });
  after(() => t.close());

  describe('PUT /users/:id/access', () => {
    it('grants permissions that apply to the person’s session at once, with one audit event holding before and after', async () => {
      const bob = await signIn(t, acme, 'bob@acme.test');
      const target = await addUser(t, acme, { userName: 'target@acme.test' });
      const refused = await asPerson(t, acme, bob)('post', `/users/${target}/disable`).expect(403);
      assert.equal(refused.body.error.details.missingPermission, 'users.disable');

      const res = await asPerson(t, acme, admin)('put', `/users/${bob.userId}/access`, { permissions: ['users.disable', 'users.edit', 'users.edit'] }).expect(200);
      assert.deepEqual(res.body, { userId: bob.userId, orgRole: 'member', permissions: ['users.edit', 'users.disable'] });
      await asPerson(t, acme, bob)('post', `/users/${target}/disable`).expect(200);

      const events = await sql(t, `select actor_label, details from audit_events where target_id = ? and action = 'user.access_changed'`, [bob.userId]);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.actor_label, 'ada@acme.test');
      assert.deepEqual((events[0]!.details as { changes: unknown }).changes, { permissions: { from: [], to: ['users.edit', 'users.disable'] } });
    });

    it('writes nothing when nothing changes', async () => {
      const carol = await signIn(t, acme, 'carol@acme.test', { permissions: ['audit.read'] });
      await asPerson(t, acme, admin)('put', `/users/${carol.userId}/access`, { permissions: ['audit.read'], orgRole: 'member' }).expect(200);
      assert.equal((await sql(t, `select count(*)::int as n from audit_events where target_id = ? and action = 'user.access_changed'`, [carol.userId]))[0]!.n, 1);
    });

    it('makes a member an org admin, who may then change access too', async () => {
      const dan = await signIn(t, acme, 'dan@acme.test');
      await asPerson(t, acme, admin)('put', `/users/${dan.userId}/access`, { orgRole: 'org_admin' }).expect(200);
      const session = await asPerson(t, acme, dan)('get', `/users/${dan.userId}/access`).expect(200);
      assert.equal(session.body.orgRole, 'org_admin');
      await asPerson(t, acme, dan)('put', `/users/${admin.userId}/access`, { permissions: ['audit.read'] }).expect(200);
    });

    it('refuses unknown roles and permissions naming the field', async () => {
      const bad = await asPerson(t, acme, admin)('put', `/users/${admin.userId}/access`, { permissions: ['users.fly'] }).expect(400);
      assert.match(bad.body.error.details.problems[0].field, /^permissions/);
      const role = await asPerson(t, acme, admin)('put', `/users/${admin.userId}/access`, { orgRole: 'owner' }).expect(400);
      assert.equal(role.body.error.details.problems[0].field, 'orgRole');
    });

    it('does not reach a person of another org (404)', async () => {
      const gus = await addUser(t, globex, { userName: 'gus@globex.test' });
      await asPerson(t, acme, admin)('put', `/users/${gus}/access`, { orgRole: 'org_admin' }).expect(404);
      assert.equal((await sql(t, 'select org_role from users where id = ?', [gus]))[0]!.org_role, 'member');
    });
  });

  describe('token creation', () => {
    it('gives a new token every permission its creator holds by default, and shows them', async () => {
      const eve = await signIn(t, acme, 'eve@acme.test', { permissions: ['settings.manage', 'users.edit'] });
      const res = await asPerson(t, acme, eve)('post', '/tokens', { scope: 'admin', name: 'eve script' }).expect(201);
      assert.deepEqual(res.body.permissions, ['users.edit', 'settings.manage']);
      const list = await asPerson(t, acme, eve)('get', '/tokens').expect(200);
      assert.deepEqual(list.body.tokens.find((tk: { id: string }) => tk.id === res.body.id).permissions, ['users.edit', 'settings.manage']);
      // The token acts with exactly those permissions.
      const refused = await asToken(t, acme, res.body.token)('post', '/users/disable', { ids: [admin.userId] }).expect(403);
      assert.equal(refused.body.error.details.missingPermission, 'users.disable');
    });

    it('refuses a token holding a permission its creator lacks, naming it, and creates nothing', async () => {
      const fay = await signIn(t, acme, 'fay@acme.test', { permissions: ['settings.manage'] });
      const narrowed = await tokenWith(t, acme, ['settings.manage', 'users.edit']);
      const before = (await sql(t, 'select count(*)::int as n from api_tokens where org_id = ?', [acme.id]))[0]!.n;
      const res = await asPerson(t, acme, fay)('post', '/tokens', { scope: 'admin', permissions: ['settings.manage', 'users.delete'] }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'users.delete');
      const byToken = await asToken(t, acme, narrowed)('post', '/tokens', { scope: 'admin', permissions: ['audit.read'] }).expect(403);
      assert.equal(byToken.body.error.details.missingPermission, 'audit.read');
      assert.equal((await sql(t, 'select count(*)::int as n from api_tokens where org_id = ?', [acme.id]))[0]!.n, before);
    });

    it('lets only an org admin create a token holding every permission (such a token acts as an org admin)', async () => {
      const gil = await signIn(t, acme, 'gil@acme.test', { permissions: [...permissions] });
      const res = await asPerson(t, acme, gil)('post', '/tokens', { scope: 'admin' }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'org_admin');
      const ok = await asPerson(t, acme, admin)('post', '/tokens', { scope: 'admin' }).expect(201);
      assert.deepEqual(ok.body.permissions, [...permissions]);
    });

    it('lets only an org admin create a SCIM token: whoever holds one rewrites anyone, the email of an org admin included', async () => {
      const hal = await signIn(t, acme, 'hal@acme.test', { permissions: [...permissions] });
      const res = await asPerson(t, acme, hal)('post', '/tokens', { scope: 'scim' }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'org_admin');
      const ok = await asPerson(t, acme, admin)('post', '/tokens', { scope: 'scim' }).expect(201);
      assert.deepEqual(ok.body.permissions, []);
    });

    it('lets only an org admin configure a SAML connection: the IdP it trusts signs in anyone, org admins included', async () => {
      const sam = await signIn(t, acme, 'sam@acme.test', { permissions: [...permissions] });
      const connection = { idpEntityId: 'https://idp.example/x', idpSsoUrl: 'https://idp.example/sso', idpCertificates: [] };
      for (const path of ['/saml', '/saml/other']) {
        const res = await asPerson(t, acme, sam)('put', path, connection).expect(403);
        assert.equal(res.body.error.details.missingPermission, 'org_admin');
      }
      await asPerson(t, acme, sam)('get', '/saml').expect(200);
      assert.equal((await sql(t, 'select count(*)::int as n from saml_connections where org_id = ?', [acme.id]))[0]!.n, 0);
    });
  });

  describe('import commit', () => {
    it('needs users.disable besides users.edit to commit an import that disables people', async () => {
      const ivy = await signIn(t, acme, 'ivy@acme.test', { permissions: ['users.edit'] });
      await addUser(t, acme, { userName: 'leaver@acme.test' });
      const preview = await asPerson(t, acme, ivy)('post', '/imports?mode=disable').set('Content-Type', 'text/csv').send(csv('Email', 'leaver@acme.test')).expect(201);
      const res = await asPerson(t, acme, ivy)('post', `/imports/${preview.body.id}/commit`, { rows: 'all', force: true }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'users.disable');
      assert.equal((await sql(t, `select state from users where org_id = ? and email = 'leaver@acme.test'`, [acme.id]))[0]!.state, 'active');
    });

    it('needs users.disable to commit an import whose Status column switches someone back on', async () => {
      const kit = await signIn(t, acme, 'kit@acme.test', { permissions: ['users.edit'] });
      await addUser(t, acme, { userName: 'sleeper@acme.test', state: 'disabled' });
      const preview = await asPerson(t, acme, kit)('post', '/imports?mode=upsert').set('Content-Type', 'text/csv').send(csv('Email,Status', 'sleeper@acme.test,active')).expect(201);
      const res = await asPerson(t, acme, kit)('post', `/imports/${preview.body.id}/commit`, { rows: 'all' }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'users.disable');
      assert.equal((await sql(t, `select state from users where org_id = ? and email = 'sleeper@acme.test'`, [acme.id]))[0]!.state, 'disabled');
    });

    it('needs groups.manage to commit an import that adds memberships, as the members route does', async () => {
      const lou = await signIn(t, acme, 'lou@acme.test', { permissions: ['users.edit'] });
      await addGroup(t, acme, 'Wards', []);
      const preview = await asPerson(t, acme, lou)('post', '/imports?mode=upsert').set('Content-Type', 'text/csv').send(csv('Email,Groups', 'lou@acme.test,Wards:admin')).expect(201);
      const res = await asPerson(t, acme, lou)('post', `/imports/${preview.body.id}/commit`, { rows: 'all' }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'groups.manage');
      assert.equal((await sql(t, `select count(*)::int as n from memberships where org_id = ? and user_id = ?`, [acme.id, lou.userId]))[0]!.n, 0);
    });

    it('needs groups.manage to commit an import that creates people into groups, or changes a role in a group', async () => {
      const mo = await signIn(t, acme, 'mo@acme.test', { permissions: ['users.edit', 'users.invite'] });
      const wards = await addGroup(t, acme, 'Recovery', []);
      const created = await asPerson(t, acme, mo)('post', '/imports?mode=upsert&noInvite=true').set('Content-Type', 'text/csv').send(csv('Email,Groups', 'fresh@acme.test,Recovery:admin')).expect(201);
      const refused = await asPerson(t, acme, mo)('post', `/imports/${created.body.id}/commit`, { rows: 'all' }).expect(403);
      assert.equal(refused.body.error.details.missingPermission, 'groups.manage');
      assert.equal((await sql(t, `select count(*)::int as n from users where org_id = ? and email = 'fresh@acme.test'`, [acme.id]))[0]!.n, 0);

      await sql(t, `insert into memberships (id, org_id, group_id, user_id, role, source, added_at) values (gen_random_uuid(), ?, ?, ?, 'viewer', 'admin', now())`, [acme.id, wards, mo.userId]);
      const promoted = await asPerson(t, acme, mo)('post', '/imports?mode=upsert').set('Content-Type', 'text/csv').send(csv('Email,Groups', 'mo@acme.test,Recovery:admin')).expect(201);
      const again = await asPerson(t, acme, mo)('post', `/imports/${promoted.body.id}/commit`, { rows: 'all' }).expect(403);
      assert.equal(again.body.error.details.missingPermission, 'groups.manage');
      assert.equal((await sql(t, `select role from memberships where group_id = ? and user_id = ?`, [wards, mo.userId]))[0]!.role, 'viewer');
    });

    it('needs users.invite to commit an import that invites new people', async () => {
      const jon = await signIn(t, acme, 'jon@acme.test', { permissions: ['users.edit'] });
      const preview = await asPerson(t, acme, jon)('post', '/imports?mode=upsert').set('Content-Type', 'text/csv').send(csv('Email', 'newbie@acme.test')).expect(201);
      const res = await asPerson(t, acme, jon)('post', `/imports/${preview.body.id}/commit`, { rows: 'all' }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'users.invite');
      const withoutInvite = await asPerson(t, acme, jon)('post', '/imports?mode=upsert&noInvite=true').set('Content-Type', 'text/csv').send(csv('Email', 'quiet@acme.test')).expect(201);
      await asPerson(t, acme, jon)('post', `/imports/${withoutInvite.body.id}/commit`, { rows: 'all' }).expect(200);
    });
  });

  describe('invitations', () => {
    it('needs groups.manage besides users.invite to invite people into groups, as an import adding memberships does', async () => {
      const max = await signIn(t, acme, 'max@acme.test', { permissions: ['users.invite'] });
      const wards = await addGroup(t, acme, 'Theatres', []);
      const res = await asPerson(t, acme, max)('post', '/invitations', { emails: 'my-other-me@acme.test', groups: [{ id: wards, role: 'admin' }] }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'groups.manage');
      assert.equal((await sql(t, `select count(*)::int as n from users where org_id = ? and email = 'my-other-me@acme.test'`, [acme.id]))[0]!.n, 0, 'nobody invited');
      await asPerson(t, acme, max)('post', '/invitations', { emails: 'plain-invitee@acme.test' }).expect(201);
      await asPerson(t, acme, max)('post', '/invitations', { emails: 'no-groups@acme.test', groups: [] }).expect(201);
      const both = await signIn(t, acme, 'nia@acme.test', { permissions: ['users.invite', 'groups.manage'] });
      await asPerson(t, acme, both)('post', '/invitations', { emails: 'theatre-nurse@acme.test', groups: [{ id: wards, role: 'editor' }] }).expect(201);
    });
  });
});
