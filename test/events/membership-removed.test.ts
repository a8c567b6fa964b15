import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { GROUP_SCHEMA, createScimTestApp, patchOps, postGroup, postUser, scimRequest, sql } from '../support/scim.ts';
import { addGroup, api } from '../people/support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * A `membership.removed` carries, in `resource.role`, the role the membership had: the admin
 * API's removals always did (the role is in their audit row); a SCIM group's members lost
 * over PATCH, PUT or DELETE had `role: null`, read from the person after the row was gone.
 */
describe('events: membership.removed names the role the membership had', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  async function cursor(): Promise<string> {
    await t.container.events.publishAll();
    return String((await sql(t, 'select coalesce(max(position), 0)::text as p from events'))[0]!.p);
  }

  /** The org's published events after `after`, read from GET /api/orgs/:org/events. */
  async function feedAfter(after: string): Promise<Json[]> {
    await t.container.events.publishAll();
    const res = await api(t, acme).get(`/events?after=${after}&limit=1000`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.events as Json[];
  }

  const removals = (events: Json[]) => events.filter((e) => e.type === 'membership.removed').map((e) => [e.resource.user.id, e.resource.role]);

  /** A SCIM group with these members, the second one's membership moved to `editor` (as a role setting could have it). */
  async function scimGroup(name: string): Promise<{ group: Json; viewer: Json; editor: Json }> {
    const viewer = await postUser(t, acme.tokens.scim, `${name}-v@acme.test`);
    const editor = await postUser(t, acme.tokens.scim, `${name}-e@acme.test`);
    const group = await postGroup(t, acme.tokens.scim, name, [String(viewer.id), String(editor.id)]);
    await sql(t, `update memberships set role = 'editor' where group_id = ? and user_id = ?`, [group.id, editor.id]);
    return { group, viewer, editor };
  }

  it('as the admin API writes it: role of the removed membership', async () => {
    const user = await postUser(t, acme.tokens.scim, 'admin-side@acme.test');
    const groupId = await addGroup(t, acme, 'Admin side', [String(user.id)], 'editor');
    const start = await cursor();
    const res = await api(t, acme).delete(`/groups/${groupId}/members`, { userIds: [user.id] });
    assert.ok(res.status < 300, JSON.stringify(res.body));
    assert.deepEqual(removals(await feedAfter(start)), [[user.id, 'editor']]);
  });

  it("for Okta's PATCH remove of members[value eq …]", async () => {
    const { group, viewer, editor } = await scimGroup('okta-remove');
    const start = await cursor();
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps(
      { op: 'remove', path: `members[value eq "${viewer.id}"]` },
      { op: 'remove', path: `members[value eq "${editor.id}"]` },
    ));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(removals(await feedAfter(start)).sort(), [[viewer.id, 'viewer'], [editor.id, 'editor']].sort());
  });

  it("for Entra's Remove on members with a value list", async () => {
    const { group, editor } = await scimGroup('entra-remove');
    const start = await cursor();
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'Remove', path: 'members', value: [{ value: editor.id }] }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(removals(await feedAfter(start)), [[editor.id, 'editor']]);
  });

  it('for a PUT that replaces the members', async () => {
    const { group, viewer, editor } = await scimGroup('put-replace');
    const newcomer = await postUser(t, acme.tokens.scim, 'put-replace-n@acme.test');
    const start = await cursor();
    await scimRequest(t, acme.tokens.scim, 'put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'put-replace', members: [{ value: newcomer.id }] }).expect(200);
    const events = await feedAfter(start);
    assert.deepEqual(removals(events).sort(), [[viewer.id, 'viewer'], [editor.id, 'editor']].sort());
    assert.deepEqual(events.filter((e) => e.type === 'membership.added').map((e) => [e.resource.user.id, e.resource.role]), [[newcomer.id, 'viewer']]);
  });

  it('for a DELETE of the group (reason group_deleted)', async () => {
    const { group, viewer, editor } = await scimGroup('deleted-group');
    const start = await cursor();
    await scimRequest(t, acme.tokens.scim, 'delete', `/Groups/${group.id}`).expect(204);
    const events = await feedAfter(start);
    assert.deepEqual(removals(events).sort(), [[viewer.id, 'viewer'], [editor.id, 'editor']].sort());
    assert.ok(events.filter((e) => e.type === 'membership.removed').every((e) => e.data.reason === 'group_deleted'));
  });

  it('keeps one audit event per SCIM write, which lists the removed members with their roles', async () => {
    const { group, viewer, editor } = await scimGroup('audit-roles');
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'remove', path: 'members' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const audit = await sql(t, `select action, details from audit_events where target_id = ? and action = 'group.updated'`, [String(group.id)]);
    assert.equal(audit.length, 1);
    const details = audit[0]!.details as Json;
    assert.deepEqual([...details.membersRemoved].sort(), [viewer.id, editor.id].sort());
    assert.deepEqual(details.membersRemovedRoles, { [viewer.id]: 'viewer', [editor.id]: 'editor' });
  });
});
