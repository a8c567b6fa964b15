import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { patchOps, postGroup, postUser, scimRequest } from '../support/scim.ts';
import { addGroup, createPeopleTestApp, sql } from '../people/support.ts';
import { auditEvents, membershipsOf, orgApi } from './groups-support.ts';

/**
 * IdP group mappings and a restore: a deleted person's IdP groups may change while they are
 * deleted (the IdP still sends them, their memberships wait hidden) and so may the mappings,
 * but their mapped memberships are not recomputed then. A restore, by any door, recomputes them
 * at once, as a SCIM group write would, with the same audit entries.
 */
describe('IdP group mappings: a restored person', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let ward5: string;
  let ward6: string;
  let nurses: string;
  let surgeons: string;
  const api = () => orgApi(t, acme);
  const entraAdd = (groupId: string, userId: string) =>
    scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${groupId}`, patchOps({ op: 'Add', path: 'members', value: [{ value: userId }] })).expect(200);
  const newPerson = async (name: string) => String((await postUser(t, acme.tokens.scim, `${name}@acme.test`)).id);
  const deletePerson = (id: string, email: string) => api().delete(`/users/${id}`, { confirmEmail: email }).expect(200);

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    ward5 = await addGroup(t, acme, 'Ward 5', []);
    ward6 = await addGroup(t, acme, 'Ward 6', []);
    nurses = String((await postGroup(t, acme.tokens.scim, 'Nurses')).id);
    surgeons = String((await postGroup(t, acme.tokens.scim, 'Surgeons')).id);
    await api().put('/group-mappings', { mappings: [{ idpGroup: 'Nurses', groupId: ward5, role: 'editor' }] }).expect(200);
  });
  after(() => t.close());

  it('gets back at once the mapped membership they held when deleted', async () => {
    const nina = await newPerson('nina');
    await entraAdd(nurses, nina);
    await deletePerson(nina, 'nina@acme.test');
    await api().post(`/users/${nina}/restore`).expect(200);
    assert.deepEqual((await membershipsOf(t, nina))['Ward 5'], { role: 'editor', source: 'scim', viaMapping: true });
  });

  it('gets the mapped membership of an IdP group the IdP added them to while deleted, audited as the mapping’s', async () => {
    const olga = await newPerson('olga');
    await deletePerson(olga, 'olga@acme.test');
    await entraAdd(nurses, olga);
    assert.equal((await membershipsOf(t, olga))['Ward 5'], undefined, 'not while deleted');
    await api().post(`/users/${olga}/restore`).expect(200);
    assert.deepEqual((await membershipsOf(t, olga))['Ward 5'], { role: 'editor', source: 'scim', viaMapping: true });
    const [event] = await auditEvents(t, 'membership.added', olga);
    assert.deepEqual(event!.details, { groupId: ward5, groupName: 'Ward 5', role: 'editor', source: 'scim', via: 'group_mapping' });
    // The feed: the restore, then the mapped membership it gave.
    await t.container.events.publishAll();
    const feed = await sql(t, `select type, resource from events where org_id = ? and (resource->'user'->>'id' = ? or resource->>'id' = ?) order by position`, [acme.id, olga, olga]);
    const types = feed.map((e) => String(e.type));
    assert.ok(types.indexOf('user.restored') >= 0 && types.lastIndexOf('membership.added') > types.indexOf('user.restored'), types.join(', '));
    const mapped = feed.filter((e) => e.type === 'membership.added').map((e) => (e.resource as { group: { id: string } }).group.id);
    assert.ok(mapped.includes(ward5), JSON.stringify(mapped));
  });

  it('follows the mappings changed while they were deleted: a new one given, a removed one taken away', async () => {
    const pia = await newPerson('pia');
    await entraAdd(nurses, pia);
    await entraAdd(surgeons, pia);
    await deletePerson(pia, 'pia@acme.test');
    await api().put('/group-mappings', { mappings: [{ idpGroup: 'Surgeons', groupId: ward6, role: 'viewer' }] }).expect(200);
    await api().post(`/users/${pia}/restore`).expect(200);
    const held = await membershipsOf(t, pia);
    assert.equal(held['Ward 5'], undefined, 'the Nurses mapping is gone');
    assert.deepEqual(held['Ward 6'], { role: 'viewer', source: 'scim', viaMapping: true });
    assert.equal((await auditEvents(t, 'membership.removed', pia)).length, 1);
    await api().put('/group-mappings', { mappings: [{ idpGroup: 'Nurses', groupId: ward5, role: 'editor' }] }).expect(200);
  });

  it('gets the mapped memberships when an invitation to their address restores them', async () => {
    const quinn = await newPerson('quinn');
    await deletePerson(quinn, 'quinn@acme.test');
    await entraAdd(nurses, quinn);
    const res = await api().post('/invitations', { emails: 'quinn@acme.test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual((await membershipsOf(t, quinn))['Ward 5'], { role: 'editor', source: 'scim', viaMapping: true });
  });
});
