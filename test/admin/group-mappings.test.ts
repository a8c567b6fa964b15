import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { GROUP_SCHEMA, patchOps, postGroup, postUser, scimRequest } from '../support/scim.ts';
import { configureSaml, postAcs, responseFor } from '../saml/support/sp.ts';
import { addGroup, createPeopleTestApp, sql } from '../people/support.ts';
import { auditEvents, membershipsOf, orgApi, tokenWith } from './groups-support.ts';

type Mapping = { idpGroup: string; groupId: string; role: string };
type Change = { action: string; groupId: string; groupDisplayName: string; role: string; source: string; from?: { role: string; source: string } };
type Person = { userId: string; userName: string; changes: Change[] };

describe('IdP group mappings', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ward5: string;
  let ward6: string;
  let nurses: string;
  let nina: string;
  let ned: string;
  const api = (org: SeededOrg = acme, token?: string) => orgApi(t, org, token);
  const scim = (method: 'post' | 'put' | 'patch' | 'delete', path: string, body?: unknown) => scimRequest(t, acme.tokens.scim, method, path, body);
  const put = async (mappings: Mapping[], org = acme) => (await api(org).put('/group-mappings', { mappings }).expect(200)).body;

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    ward5 = await addGroup(t, acme, 'Ward 5', []);
    ward6 = await addGroup(t, acme, 'Ward 6', []);
    nina = String((await postUser(t, acme.tokens.scim, 'nina@acme.test')).id);
    ned = String((await postUser(t, acme.tokens.scim, 'ned@acme.test')).id);
    nurses = String((await postGroup(t, acme.tokens.scim, 'Nurses', [nina, ned])).id);
  });
  after(() => t.close());

  describe('validation', () => {
    it('names each bad entry: unknown role, unknown group, SCIM group, repeated pair', async () => {
      const res = await api().put('/group-mappings', {
        mappings: [
          { idpGroup: 'Nurses', groupId: ward5, role: 'owner' },
          { idpGroup: 'Nurses', groupId: '7d9f3a4e-0000-4000-8000-000000000000', role: 'viewer' },
          { idpGroup: 'Nurses', groupId: nurses, role: 'viewer' },
          { idpGroup: 'Doctors', groupId: ward6, role: 'viewer' },
          { idpGroup: 'DOCTORS', groupId: ward6, role: 'editor' },
          { idpGroup: ' ', groupId: ward6, role: 'editor' },
        ],
      }).expect(400);
      const problems = res.body.error.details.problems as Array<{ field: string; reason: string }>;
      assert.deepEqual(problems.map((p) => p.field), ['mappings.0.role', 'mappings.1.groupId', 'mappings.2.groupId', 'mappings.4', 'mappings.5.idpGroup']);
      assert.match(problems[0]!.reason, /viewer, editor, admin/);
      assert.match(problems[2]!.reason, /managed by your identity provider/);
      assert.deepEqual((await api().get('/group-mappings').expect(200)).body.mappings, []);
    });

    it('refuses a group of another organization as if it did not exist', async () => {
      const res = await api(globex).put('/group-mappings', { mappings: [{ idpGroup: 'Nurses', groupId: ward5, role: 'viewer' }] }).expect(400);
      assert.equal(res.body.error.details.problems[0].field, 'mappings.0.groupId');
    });
  });

  describe('preview', () => {
    it('lists who would get what without saving anything', async () => {
      const res = await api().post('/group-mappings/preview', { mappings: [{ idpGroup: 'nurses', groupId: ward5, role: 'editor' }] }).expect(200);
      assert.deepEqual(res.body.summary, { people: 2, added: 2, changed: 0, removed: 0 });
      const people = (res.body.people as Person[]).map((p) => [p.userName, p.changes.map((c) => [c.action, c.groupDisplayName, c.role, c.source])]).sort();
      assert.deepEqual(people, [
        ['ned@acme.test', [['add', 'Ward 5', 'editor', 'scim']]],
        ['nina@acme.test', [['add', 'Ward 5', 'editor', 'scim']]],
      ]);
      assert.deepEqual((await api().get('/group-mappings').expect(200)).body.mappings, []);
      assert.deepEqual(await membershipsOf(t, nina), { Nurses: { role: 'viewer', source: 'scim', viaMapping: false } });
    });
  });

  describe('applied to SCIM memberships', () => {
    it('gives the IdP group’s members the mapped membership when saved, and audits it', async () => {
      const body = await put([{ idpGroup: 'NURSES', groupId: ward5, role: 'editor' }]);
      assert.deepEqual(body.mappings, [{ idpGroup: 'NURSES', groupId: ward5, groupDisplayName: 'Ward 5', role: 'editor' }]);
      assert.deepEqual(body.applied, { people: 2, added: 2, changed: 0, removed: 0 });
      assert.deepEqual((await membershipsOf(t, nina))['Ward 5'], { role: 'editor', source: 'scim', viaMapping: true });
      const [event] = await auditEvents(t, 'membership.added', nina);
      assert.deepEqual(event!.details, { groupId: ward5, groupName: 'Ward 5', role: 'editor', source: 'scim', via: 'group_mapping' });
      assert.equal((await auditEvents(t, 'group_mappings.updated', acme.id)).length, 1);
    });

    it('writes nothing when the same mappings are saved again', async () => {
      const body = await put([{ idpGroup: 'NURSES', groupId: ward5, role: 'editor' }]);
      assert.deepEqual(body.applied, { people: 0, added: 0, changed: 0, removed: 0 });
      assert.equal((await auditEvents(t, 'group_mappings.updated', acme.id)).length, 1);
    });

    it('follows SCIM: added to the IdP group → mapped membership; removed → it goes', async () => {
      const olga = String((await postUser(t, acme.tokens.scim, 'olga@acme.test')).id);
      await scim('patch', `/Groups/${nurses}`, patchOps({ op: 'add', path: 'members', value: [{ value: olga }] })).expect((r) => assert.ok(r.status < 300, JSON.stringify(r.body)));
      assert.deepEqual((await membershipsOf(t, olga))['Ward 5'], { role: 'editor', source: 'scim', viaMapping: true });
      await scim('patch', `/Groups/${nurses}`, patchOps({ op: 'remove', path: `members[value eq "${olga}"]` })).expect((r) => assert.ok(r.status < 300, JSON.stringify(r.body)));
      assert.deepEqual(await membershipsOf(t, olga), {});
      assert.equal((await auditEvents(t, 'membership.removed', olga)).length, 1);
    });

    it('follows a full PUT of the IdP group and a group created with members', async () => {
      const pia = String((await postUser(t, acme.tokens.scim, 'pia@acme.test')).id);
      await scim('put', `/Groups/${nurses}`, { schemas: [GROUP_SCHEMA], displayName: 'Nurses', members: [{ value: nina }, { value: pia }] }).expect(200);
      assert.ok(await membershipsOf(t, pia).then((m) => m['Ward 5']));
      assert.equal((await membershipsOf(t, ned))['Ward 5'], undefined, 'ned left the IdP group');
      await put([{ idpGroup: 'NURSES', groupId: ward5, role: 'editor' }, { idpGroup: 'Surgeons', groupId: ward6, role: 'viewer' }]);
      await postGroup(t, acme.tokens.scim, 'surgeons', [ned]);
      assert.deepEqual((await membershipsOf(t, ned))['Ward 6'], { role: 'viewer', source: 'scim', viaMapping: true });
    });

    it('gives the role listed last in the org’s roles when two IdP groups map to one group', async () => {
      await put([{ idpGroup: 'Nurses', groupId: ward5, role: 'editor' }, { idpGroup: 'Leads', groupId: ward5, role: 'admin' }, { idpGroup: 'Surgeons', groupId: ward6, role: 'viewer' }]);
      await postGroup(t, acme.tokens.scim, 'Leads', [nina]);
      assert.equal((await membershipsOf(t, nina))['Ward 5']!.role, 'admin');
      const [changed] = await auditEvents(t, 'membership.role_changed', nina);
      assert.deepEqual((changed!.details as { changes: unknown }).changes, { role: { from: 'editor', to: 'admin' } });
    });

    it('takes over a membership an admin made, which then cannot be removed by admins', async () => {
      const quinn = String((await postUser(t, acme.tokens.scim, 'quinn@acme.test')).id);
      await api().post(`/groups/${ward6}/members`, { members: [{ userId: quinn, role: 'admin' }] }).expect(200);
      await scim('patch', `/Groups/${(await sql(t, `select id from groups where display_name = 'surgeons'`))[0]!.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: quinn }] })).expect(200);
      assert.deepEqual((await membershipsOf(t, quinn))['Ward 6'], { role: 'viewer', source: 'scim', viaMapping: true });
      assert.equal((await api().delete(`/groups/${ward6}/members`, { userIds: [quinn] }).expect(409)).body.error.code, 'scim_managed');
    });

    it('removes the mapped memberships when the IdP group is renamed or deleted', async () => {
      const leads = String((await sql(t, `select id from groups where display_name = 'Leads'`))[0]!.id);
      await scim('patch', `/Groups/${leads}`, patchOps({ op: 'replace', value: { displayName: 'Team leads' } })).expect((r) => assert.ok(r.status < 300, JSON.stringify(r.body)));
      assert.equal((await membershipsOf(t, nina))['Ward 5']!.role, 'editor', 'back to the Nurses mapping');
      const surgeons = String((await sql(t, `select id from groups where display_name = 'surgeons'`))[0]!.id);
      await scim('delete', `/Groups/${surgeons}`).expect(204);
      assert.equal((await membershipsOf(t, ned))['Ward 6'], undefined);
    });

    it('removes every mapped membership when the mappings are emptied, and nothing else', async () => {
      await api().post(`/groups/${ward6}/members`, { members: [{ userId: nina, role: 'viewer' }] }).expect(200);
      const body = await put([]);
      assert.ok(body.applied.removed >= 2);
      const left = await membershipsOf(t, nina);
      assert.deepEqual(Object.values(left).filter((m) => m.viaMapping), []);
      assert.deepEqual(left['Ward 6'], { role: 'viewer', source: 'admin', viaMapping: false });
      assert.deepEqual(left.Nurses, { role: 'viewer', source: 'scim', viaMapping: false });
    });

    it('does not apply one organization’s mappings to another’s IdP groups', async () => {
      await put([{ idpGroup: 'Nurses', groupId: ward5, role: 'viewer' }]);
      const gwen = String((await postUser(t, globex.tokens.scim, 'gwen@globex.test')).id);
      await postGroup(t, globex.tokens.scim, 'Nurses', [gwen]);
      assert.deepEqual(await membershipsOf(t, gwen), { Nurses: { role: 'viewer', source: 'scim', viaMapping: false } });
      assert.deepEqual((await api(globex).get('/group-mappings').expect(200)).body.mappings, []);
    });
  });

  describe('applied to SAML group claims', () => {
    let doctors: string;

    before(async () => {
      await configureSaml(t.app, acme, { allowIdpInitiated: true, jit: 'create' });
      doctors = await addGroup(t, acme, 'Doctors ward', []);
      await put([{ idpGroup: 'Nurses', groupId: ward5, role: 'viewer' }, { idpGroup: 'Doctors', groupId: doctors, role: 'admin' }, { idpGroup: 'Night', groupId: ward5, role: 'admin' }]);
    });

    const signIn = (nameId: string, groups: string[]) => postAcs(t.app, 'acme', responseFor('acme', { nameId, attributes: { email: nameId, groups } })).expect(303);
    const userId = async (userName: string) => String((await sql(t, 'select id from users where user_name = ?', [userName]))[0]!.id);

    it('gives the mapped memberships at sign-in (source saml-jit) and removes them when the claim goes', async () => {
      await signIn('dora@acme.test', ['doctors', 'Unmapped']);
      const dora = await userId('dora@acme.test');
      assert.deepEqual(await membershipsOf(t, dora), { 'Doctors ward': { role: 'admin', source: 'saml-jit', viaMapping: true } });
      await signIn('dora@acme.test', []);
      assert.deepEqual(await membershipsOf(t, dora), {});
      assert.equal((await auditEvents(t, 'membership.removed', dora)).length, 1);
    });

    it('keeps the memberships it knew when Entra signals group overage (groups.link instead of the groups claim)', async () => {
      await signIn('otto@acme.test', ['Doctors']);
      const otto = await userId('otto@acme.test');
      const overage = { email: 'otto@acme.test', 'http://schemas.microsoft.com/claims/groups.link': 'https://graph.windows.net/tenant/users/otto/getMemberObjects' };
      await postAcs(t.app, 'acme', responseFor('acme', { nameId: 'otto@acme.test', attributes: overage })).expect(303);
      assert.deepEqual(await membershipsOf(t, otto), { 'Doctors ward': { role: 'admin', source: 'saml-jit', viaMapping: true } });
      assert.equal((await auditEvents(t, 'membership.removed', otto)).length, 0);
    });

    it('never lets a sign-in claim override a membership SCIM gives', async () => {
      await signIn('nina@acme.test', ['Night']);
      assert.deepEqual((await membershipsOf(t, nina))['Ward 5'], { role: 'viewer', source: 'scim', viaMapping: true });
    });

    it('previews and applies a mapping change to people by their last sign-in’s claims', async () => {
      await signIn('eli@acme.test', ['Surgery']);
      const eli = await userId('eli@acme.test');
      const proposed = [{ idpGroup: 'Surgery', groupId: ward6, role: 'editor' }];
      const preview = await api().post('/group-mappings/preview', { mappings: proposed }).expect(200);
      const mine = (preview.body.people as Person[]).find((p) => p.userId === eli);
      assert.deepEqual(mine?.changes.map((c) => [c.action, c.groupDisplayName, c.role, c.source]), [['add', 'Ward 6', 'editor', 'saml-jit']]);
      await put(proposed);
      assert.deepEqual(await membershipsOf(t, eli), { 'Ward 6': { role: 'editor', source: 'saml-jit', viaMapping: true } });
    });
  });

  describe('permissions', () => {
    it('lets anyone of the org read the mappings; saving and previewing need settings.manage (403 naming it)', async () => {
      const token = await tokenWith(t, acme, ['groups.manage']);
      await api(acme, token).get('/group-mappings').expect(200);
      const res = await api(acme, token).put('/group-mappings', { mappings: [] }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'settings.manage');
      await api(acme, token).post('/group-mappings/preview', { mappings: [] }).expect(403);
      const settings = await tokenWith(t, acme, ['settings.manage']);
      await api(acme, settings).post('/group-mappings/preview', { mappings: [] }).expect(200);
    });
  });

  describe('deleting a group', () => {
    it('drops the mappings to it', async () => {
      const temp = await addGroup(t, acme, 'Temporary ward', []);
      await put([{ idpGroup: 'Nurses', groupId: temp, role: 'viewer' }]);
      await api().delete(`/groups/${temp}?force=true`).expect(204);
      assert.deepEqual((await api().get('/group-mappings').expect(200)).body.mappings, []);
    });
  });
});
