import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seedOrg, testActor, type SeededOrg, type TestApp } from '../../support/app.ts';
import { createUser } from '../../../src/directory/users.ts';
import { restoreUser } from '../../../src/directory/people.ts';
import { emptyUserFields } from '../../../src/directory/user-record.ts';
import { GROUP_SCHEMA, assertScimError, createScimTestApp, groupRow, memberIds, patchOps, postGroup, postUser, scimRequest, sql } from '../../support/scim.ts';

type Json = Record<string, unknown>;

/**
 * A member a group write names must be a user of the org who is not deleted.
 * RFC 7644 §3.5.2: a PATCH is atomic ("If a single operation encounters an
 * error condition, the original SCIM resource MUST be restored, and a failure
 * status SHALL be returned"), so one such member fails the request, and the
 * error says which value and why: the IdP's admin sees it in the provisioning
 * log and the IdP retries, where skipping it would report a membership that
 * does not exist. Okta and Entra add only users they have provisioned.
 */
describe('SCIM groups: members that are no users of the org', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ann: Json;
  let bob: Json;
  let gone: Json;
  let outsider: Json;

  const auditCount = async (groupId: string) => Number((await sql(t, 'select count(*)::int as n from audit_events where target_id = ?', [groupId]))[0]!.n);
  const addMembers = (groupId: unknown, ...values: unknown[]) =>
    scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${groupId}`, patchOps({ op: 'Add', path: 'members', value: values.map((value) => ({ value })) }));

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    ann = await postUser(t, acme.tokens.scim, 'ann@acme.test');
    bob = await postUser(t, acme.tokens.scim, 'bob@acme.test');
    gone = await postUser(t, acme.tokens.scim, 'gone@acme.test');
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${gone.id}`).expect(204);
    outsider = await postUser(t, globex.tokens.scim, 'otto@globex.test');
  });
  after(() => t.close());

  it('adds a user the IdP provisioned a moment earlier (Entra creates, then adds)', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Fresh');
    const created = await postUser(t, acme.tokens.scim, 'fresh@acme.test');
    const res = await addMembers(group.id, created.id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await memberIds(t, String(group.id)), [String(created.id)]);
  });

  it('refuses a PATCH add naming one unknown id among known ones with 400 invalidValue naming that value, and adds nobody', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Mixed', [String(ann.id)]);
    const before = await groupRow(t, String(group.id));
    const events = await auditCount(String(group.id));
    const stranger = randomUUID();
    const res = await addMembers(group.id, bob.id, stranger);
    assertScimError(res, 400, 'invalidValue');
    assert.equal(res.body.detail, `members[value eq "${stranger}"]: is not the id of a user of this organization`);
    assert.deepEqual(await memberIds(t, String(group.id)), [String(ann.id)]);
    assert.equal((await groupRow(t, String(group.id)))?.version, before?.version);
    assert.equal(await auditCount(String(group.id)), events);
  });

  it('names each refused member: not an id, nobody (a deleted user is no refusal)', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Reasons');
    const stranger = randomUUID();
    const res = await addMembers(group.id, 'CN=Ann,OU=People', ann.id, gone.id, stranger);
    assertScimError(res, 400, 'invalidValue');
    assert.equal(
      res.body.detail,
      [
        'members[value eq "CN=Ann,OU=People"]: is not the id of a user of this organization',
        `members[value eq "${stranger}"]: is not the id of a user of this organization`,
      ].join('; '),
    );
    assert.deepEqual(await memberIds(t, String(group.id)), []);
  });

  it("answers a user of another org as an id nobody has, and does not make them a member", async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Poached');
    const res = await addMembers(group.id, outsider.id);
    assertScimError(res, 400, 'invalidValue');
    assert.equal(res.body.detail, `members[value eq "${outsider.id}"]: is not the id of a user of this organization`);
    assert.deepEqual(await memberIds(t, String(group.id)), []);
    assert.deepEqual(await sql(t, 'select id from memberships where user_id = ?', [outsider.id]), []);
  });

  it('lists at most ten refused values and counts the rest', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Many');
    const strangers = Array.from({ length: 12 }, () => randomUUID());
    const res = await addMembers(group.id, ...strangers);
    assertScimError(res, 400, 'invalidValue');
    assert.equal(res.body.detail.split('; ').length, 11);
    assert.match(res.body.detail, /; and 2 more refused members$/);
  });

  it('refuses a PUT whose members name an unknown id, and keeps the members it had', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Pushed', [String(ann.id), String(bob.id)]);
    const stranger = randomUUID();
    const res = await scimRequest(t, acme.tokens.scim, 'put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Pushed', members: [{ value: ann.id }, { value: stranger }] });
    assertScimError(res, 400, 'invalidValue');
    assert.equal(res.body.detail, `members[value eq "${stranger}"]: is not the id of a user of this organization`);
    assert.deepEqual(await memberIds(t, String(group.id)), [String(ann.id), String(bob.id)].sort());
  });

  it('refuses a POST /Groups naming an unknown member, and creates no group', async () => {
    const stranger = randomUUID();
    const res = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Never', members: [{ value: ann.id }, { value: stranger }] });
    assertScimError(res, 400, 'invalidValue');
    assert.equal(res.body.detail, `members[value eq "${stranger}"]: is not the id of a user of this organization`);
    assert.deepEqual(await sql(t, 'select id from groups where display_name = ?', ['Never']), []);
  });

  it('refuses a member sent without its value (only $ref or display, or value null) naming what is missing, on POST, PUT and PATCH', async () => {
    // Before: `members[value eq ""]: is not the id of a user of this organization`, naming a value nobody sent.
    const group = await postGroup(t, acme.tokens.scim, 'Valueless', [String(ann.id)]);
    const refs = [{ $ref: `https://gatehouse.test/scim/v2/Users/${bob.id}` }, { display: 'bob@acme.test' }, { value: null }];
    for (const member of refs) {
      const bodies = [
        scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Valueless two', members: [member] }),
        scimRequest(t, acme.tokens.scim, 'put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Valueless', members: [member] }),
        scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [member] })),
      ];
      for (const res of await Promise.all(bodies)) {
        assertScimError(res, 400, 'invalidValue');
        assert.match(res.body.detail, /"members" needs a "value", the id of a user of this organization, in each member; got \{/);
      }
    }
    assert.deepEqual(await memberIds(t, String(group.id)), [String(ann.id)]);
    assert.deepEqual(await sql(t, 'select id from groups where display_name = ?', ['Valueless two']), []);
  });

  it('removes nothing and answers 200 for a remove naming an id that is no member', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Steady', [String(ann.id)]);
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'Remove', path: 'members', value: [{ value: randomUUID() }] }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await memberIds(t, String(group.id)), [String(ann.id)]);
  });
});

/**
 * A user an admin deleted in Gatehouse (soft delete) while the IdP still has them in a group.
 * The IdP cannot know; Entra re-sends the group's whole delta every cycle, so refusing the
 * request would fail every membership change of that group until someone acts, and the job
 * would end in quarantine. Such a member is recorded as a membership, hidden like every
 * membership of a deleted user and brought back by a restore, and the audit row names them;
 * the IdP's remove of them ends it.
 */
describe('SCIM groups: a member deleted in Gatehouse but still in the IdP group (Entra)', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let live: Json;
  let gone: Json;
  let other: Json;

  const entra = (groupId: unknown, op: string, ...values: unknown[]) =>
    scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${groupId}`, patchOps({ op, path: 'members', value: values.map((value) => ({ value })) }));
  const details = async (groupId: string) =>
    (await sql(t, `select details from audit_events where target_id = ? and action = 'group.updated' order by id`, [groupId])).map((r) => r.details as Json);

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    live = await postUser(t, acme.tokens.scim, 'live@acme.test');
    gone = await postUser(t, acme.tokens.scim, 'gone@acme.test');
    other = await postUser(t, acme.tokens.scim, 'other@acme.test');
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${gone.id}`).expect(204);
  });
  after(() => t.close());

  it('applies an Add naming a deleted and a live member with 200, shows the live one, and names the deleted one in the audit row and the feed', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Sales');
    const res = await entra(group.id, 'Add', gone.id, live.id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.members.map((m: Json) => m.value), [live.id]);
    const [row] = await details(String(group.id));
    assert.deepEqual(row!.membersAdded, [gone.id, live.id]);
    assert.deepEqual(row!.deletedMembersAdded, [gone.id]);
    // The feed keeps a deleted person's memberships for a restore, so it announces this one too.
    await t.container.events.publishAll();
    const events = await sql(t, `select resource from events where org_id = ? and type = 'membership.added' and resource->'group'->>'id' = ?`, [acme.id, group.id]);
    assert.deepEqual(events.map((e) => (e.resource as { user: Json }).user.id).sort(), [String(gone.id), String(live.id)].sort());
  });

  it('answers the next cycle re-sending the same delta with 200 as well, writing nothing', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Support');
    await entra(group.id, 'Add', gone.id, live.id).expect(200);
    const version = (await groupRow(t, String(group.id)))?.version;
    const res = await entra(group.id, 'Add', gone.id, live.id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await groupRow(t, String(group.id)))?.version, version);
    assert.equal((await details(String(group.id))).length, 1);
  });

  it('gives the restored user the membership the IdP sent while they were deleted', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Finance');
    await entra(group.id, 'Add', gone.id, other.id).expect(200);
    await restoreUser(t.container.fork(), { orgId: acme.id, orgSlug: acme.slug, actor: testActor }, String(gone.id), new Date());
    const res = await scimRequest(t, acme.tokens.scim, 'get', `/Groups/${group.id}`).expect(200);
    assert.deepEqual(res.body.members.map((m: Json) => m.value).sort(), [String(gone.id), String(other.id)].sort());
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${gone.id}`).expect(204);
  });

  it('answers a Remove naming a deleted member (Entra, Okta) with 200, ends their hidden membership, and keeps the live members', async () => {
    // Before: the hidden membership stayed, and a restore put the user back in a group the IdP had removed them from.
    const removes = [{ op: 'Remove', path: 'members', value: [{ value: gone.id }] }, { op: 'remove', path: `members[value eq "${gone.id}"]` }];
    for (const [i, remove] of removes.entries()) {
      const group = await postGroup(t, acme.tokens.scim, `Ops ${i}`, [String(live.id)]);
      await entra(group.id, 'Add', gone.id).expect(200);
      const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps(remove));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.members.map((m: Json) => m.value), [live.id]);
      assert.deepEqual(await memberIds(t, String(group.id)), [String(live.id)]);
      assert.deepEqual((await details(String(group.id))).at(-1)!.membersRemoved, [gone.id]);
    }
  });

  it('ends a deleted member\'s hidden membership when a full list leaves them out, by PUT as by a PATCH replace of members', async () => {
    // Before: the PATCH replace ended it and the PUT kept it, so a restore put the user back in a
    // group the IdP had taken them out of when its list came by PUT.
    const lists = [
      (groupId: unknown) => scimRequest(t, acme.tokens.scim, 'put', `/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: `Ward ${String(groupId)}`, members: [{ value: live.id }] }),
      (groupId: unknown) => scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${groupId}`, patchOps({ op: 'replace', path: 'members', value: [{ value: live.id }] })),
    ];
    for (const send of lists) {
      const group = await postGroup(t, acme.tokens.scim, `Ward ${randomUUID()}`, [String(live.id)]);
      await scimRequest(t, acme.tokens.scim, 'put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: `Ward ${String(group.id)}`, members: [{ value: live.id }, { value: gone.id }] }).expect(200);
      assert.deepEqual(await memberIds(t, String(group.id)), [String(live.id), String(gone.id)].sort(), 'a list naming them keeps it');
      const res = await send(group.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.members.map((m: Json) => m.value), [live.id]);
      assert.deepEqual(await memberIds(t, String(group.id)), [String(live.id)]);
      assert.deepEqual((await details(String(group.id))).at(-1)!.membersRemoved, [gone.id]);
    }
  });

  it('accepts a deleted member on POST and PUT as on PATCH', async () => {
    const created = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Pushed', members: [{ value: gone.id }, { value: live.id }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.members.map((m: Json) => m.value), [live.id]);
    const put = await scimRequest(t, acme.tokens.scim, 'put', `/Groups/${created.body.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Pushed', members: [{ value: gone.id }, { value: other.id }] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.members.map((m: Json) => m.value), [other.id]);
  });

  it('still refuses an id that is no user of the org, with the deleted member beside it', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Strict');
    const stranger = randomUUID();
    const res = await entra(group.id, 'Add', gone.id, stranger);
    assertScimError(res, 400, 'invalidValue');
    assert.equal(res.body.detail, `members[value eq "${stranger}"]: is not the id of a user of this organization`);
    assert.deepEqual(await memberIds(t, String(group.id)), []);
  });
});

describe('SCIM groups: replacing a large membership', () => {
  let t: TestApp;
  let acme: SeededOrg;
  const size = 700;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  it('swaps every member in one PUT: one audit event listing them, one feed event per membership, roles on the removals', async () => {
    const scope = { orgId: acme.id, orgSlug: acme.slug, actor: testActor };
    const ids: string[] = [];
    for (let i = 0; i < size * 2; i++) {
      const fields = { ...emptyUserFields(`m${i}@acme.test`), emails: [{ value: `m${i}@acme.test`, primary: true }] };
      ids.push((await createUser(t.container.fork(), scope, fields, { source: 'scim' })).id);
    }
    const [first, second] = [ids.slice(0, size), ids.slice(size)];
    const group = await postGroup(t, acme.tokens.scim, 'Everyone', first);
    await t.container.events.publishAll();
    const start = String((await sql(t, 'select coalesce(max(position), 0)::text as p from events'))[0]!.p);
    const res = await scimRequest(t, acme.tokens.scim, 'put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Everyone', members: second.map((value) => ({ value })) });
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
    assert.deepEqual(res.body.members.map((m: Json) => m.value).sort(), [...second].sort());
    assert.deepEqual(await memberIds(t, String(group.id)), [...second].sort());
    const audit = await sql(t, `select details from audit_events where target_id = ? and action = 'group.updated'`, [String(group.id)]);
    assert.equal(audit.length, 1);
    const details = audit[0]!.details as { membersAdded: string[]; membersRemoved: string[]; membersRemovedRoles: Record<string, string> };
    assert.deepEqual(details.membersAdded, second);
    assert.deepEqual([...details.membersRemoved].sort(), [...first].sort());
    assert.ok(Object.values(details.membersRemovedRoles).every((role) => role === 'viewer'));
    await t.container.events.publishAll();
    const events = await sql(t, `select type, count(*)::int as n from events where org_id = ? and position > ? group by type order by type`, [acme.id, start]);
    assert.deepEqual(events.map((e) => [e.type, e.n]), [['membership.added', size], ['membership.removed', size]]);
  });
});
