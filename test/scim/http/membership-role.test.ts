import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { orgApi } from '../../admin/groups-support.ts';
import { createScimTestApp, patchOps, postGroup, postUser, scimRequest, sql } from '../../support/scim.ts';

type Json = Record<string, unknown>;

/**
 * A membership the IdP makes carries no role (SCIM groups have none), so it
 * gets the org's default: the first of its roles, least access first — what
 * the admin API gives a membership added without a role. It was `viewer`
 * whatever the org's roles, so an org whose roles are its own got SCIM
 * memberships with a role outside its list, which it could then not remove.
 */
describe('SCIM groups: the role of a membership the IdP makes', () => {
  let t: TestApp;
  let clinic: SeededOrg;
  let ann: Json;
  let bob: Json;
  let cat: Json;

  const roleOf = async (userId: unknown, groupId: unknown) =>
    (await sql(t, 'select role from memberships where user_id = ? and group_id = ?', [userId, groupId]))[0]?.role;

  before(async () => {
    t = await createScimTestApp();
    clinic = await seedOrg(t.container, 'clinic');
    await orgApi(t, clinic).patch('/settings', { roles: ['reader', 'nurse'] }).expect(200);
    ann = await postUser(t, clinic.tokens.scim, 'ann@clinic.test');
    bob = await postUser(t, clinic.tokens.scim, 'bob@clinic.test');
    cat = await postUser(t, clinic.tokens.scim, 'cat@clinic.test');
  });
  after(() => t.close());

  it('gives members of a group created with members the org’s first role, not viewer', async () => {
    const group = await postGroup(t, clinic.tokens.scim, 'Ward 1', [String(ann.id)]);
    assert.equal(await roleOf(ann.id, group.id), 'reader');
  });

  it('gives a member added by PATCH the org’s first role', async () => {
    const group = await postGroup(t, clinic.tokens.scim, 'Ward 2');
    await scimRequest(t, clinic.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'Add', path: 'members', value: [{ value: bob.id }] })).expect(200);
    assert.equal(await roleOf(bob.id, group.id), 'reader');
  });

  it('gives a member added by PUT the org’s first role', async () => {
    const group = await postGroup(t, clinic.tokens.scim, 'Ward 3');
    await scimRequest(t, clinic.tokens.scim, 'put', `/Groups/${group.id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Ward 3',
      members: [{ value: cat.id }],
    }).expect(200);
    assert.equal(await roleOf(cat.id, group.id), 'reader');
  });
});
