import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { AuditEvent } from '../../../src/db/entities/index.ts';
import {
  GROUP_SCHEMA,
  assertScimError,
  createScimTestApp,
  groupRow,
  memberIds,
  patchOps,
  postGroup,
  postUser,
  scimRequest,
  userBody,
  userRow,
} from '../../support/scim.ts';

type Json = Record<string, unknown>;

/** RFC 7644 §3.14: weak ETags from the row version; If-Match guards writes, If-None-Match saves reads. */
describe('SCIM ETags', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const call = (method: 'get' | 'put' | 'patch' | 'delete', path: string, body?: unknown, headers: Record<string, string> = {}) =>
    scimRequest(t, acme.tokens.scim, method, path, body, headers);
  const eventsOf = (requestId: string) => t.container.fork().find(AuditEvent, { requestId });

  /** A user at version 2, so W/"1" is a tag the server did issue but is now stale. */
  async function userAtVersion2(name: string): Promise<Json> {
    const user = await postUser(t, acme.tokens.scim, name);
    await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'v2' })).expect(200);
    return user;
  }

  describe('users', () => {
    it('returns ETag W/"n" on GET, matching meta.version', async () => {
      const user = await postUser(t, acme.tokens.scim, 'etag-get@acme.test');
      const res = await call('get', `/Users/${user.id}`).expect(200);
      assert.equal(res.headers.etag, 'W/"1"');
      assert.equal(res.body.meta.version, 'W/"1"');
    });

    it('answers 304 with no body to If-None-Match naming the current ETag, and 200 after a change', async () => {
      const user = await postUser(t, acme.tokens.scim, 'etag-304@acme.test');
      const first = await call('get', `/Users/${user.id}`).expect(200);
      const etag = String(first.headers.etag);
      const cached = await call('get', `/Users/${user.id}`, undefined, { 'If-None-Match': etag }).expect(304);
      assert.equal(cached.text ?? '', '');
      assert.equal(cached.headers.etag, etag);
      await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'changed' })).expect(200);
      const fresh = await call('get', `/Users/${user.id}`, undefined, { 'If-None-Match': etag }).expect(200);
      assert.equal(fresh.headers.etag, 'W/"2"');
      assert.equal(fresh.body.title, 'changed');
    });

    it('refuses a PUT with a stale If-Match with 412 and writes nothing', async () => {
      const user = await userAtVersion2('etag-put@acme.test');
      const before = await userRow(t, String(user.id));
      const requestId = randomUUID();
      const res = await call('put', `/Users/${user.id}`, userBody('etag-put@acme.test', { title: 'lost' }), { 'If-Match': 'W/"1"', 'X-Request-Id': requestId });
      assertScimError(res, 412);
      assert.deepEqual(await userRow(t, String(user.id)), before);
      assert.deepEqual(await eventsOf(requestId), []);
    });

    it('refuses a PATCH with a stale If-Match with 412 and writes nothing', async () => {
      const user = await userAtVersion2('etag-patch@acme.test');
      const before = await userRow(t, String(user.id));
      const requestId = randomUUID();
      const res = await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', value: { active: false } }), { 'If-Match': 'W/"1"', 'X-Request-Id': requestId });
      assertScimError(res, 412);
      assert.deepEqual(await userRow(t, String(user.id)), before);
      assert.deepEqual(await eventsOf(requestId), []);
    });

    it('refuses a DELETE with a stale If-Match with 412 and keeps the user', async () => {
      const user = await userAtVersion2('etag-delete@acme.test');
      const before = await userRow(t, String(user.id));
      const requestId = randomUUID();
      assertScimError(await call('delete', `/Users/${user.id}`, undefined, { 'If-Match': 'W/"1"', 'X-Request-Id': requestId }), 412);
      assert.deepEqual(await userRow(t, String(user.id)), before);
      assert.deepEqual(await eventsOf(requestId), []);
      await call('get', `/Users/${user.id}`).expect(200);
    });

    it('refuses an If-Match that names no version this server issues with 412', async () => {
      const user = await postUser(t, acme.tokens.scim, 'etag-garbage@acme.test');
      assertScimError(await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'x' }), { 'If-Match': '"not-a-version"' }), 412);
      assert.equal((await userRow(t, String(user.id)))?.version, 1);
    });

    it('accepts PUT, PATCH and DELETE with the current If-Match, each answering the next ETag', async () => {
      const user = await postUser(t, acme.tokens.scim, 'etag-ok@acme.test');
      const put = await call('put', `/Users/${user.id}`, userBody('etag-ok@acme.test', { title: 'one' }), { 'If-Match': 'W/"1"' }).expect(200);
      assert.equal(put.headers.etag, 'W/"2"');
      assert.equal(put.body.title, 'one');
      const patch = await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'two' }), { 'If-Match': String(put.headers.etag) }).expect(200);
      assert.equal(patch.headers.etag, 'W/"3"');
      assert.equal(patch.body.title, 'two');
      await call('delete', `/Users/${user.id}`, undefined, { 'If-Match': String(patch.headers.etag) }).expect(204);
      assert.equal((await userRow(t, String(user.id)))?.state, 'deleted');
    });

    it('accepts the strong form and * in If-Match', async () => {
      const user = await postUser(t, acme.tokens.scim, 'etag-forms@acme.test');
      await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'a' }), { 'If-Match': '"1"' }).expect(200);
      await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'b' }), { 'If-Match': '*' }).expect(200);
      assert.equal((await userRow(t, String(user.id)))?.version, 3);
    });

    it('accepts PUT, PATCH and DELETE when any tag of an If-Match list is current (RFC 9110 §13.1.1)', async () => {
      const user = await userAtVersion2('etag-list@acme.test');
      const put = await call('put', `/Users/${user.id}`, userBody('etag-list@acme.test', { title: 'listed' }), { 'If-Match': 'W/"7", W/"2"' }).expect(200);
      assert.equal(put.headers.etag, 'W/"3"');
      assert.equal(put.body.title, 'listed');
      await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'again' }), { 'If-Match': 'W/"1",W/"3","9"' }).expect(200);
      await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', value: { active: false } }), { 'If-Match': '"junk", W/"4"' }).expect(200);
      await call('delete', `/Users/${user.id}`, undefined, { 'If-Match': 'W/"1", W/"5"' }).expect(204);
      assert.equal((await userRow(t, String(user.id)))?.state, 'deleted');
    });

    it('refuses an If-Match list none of whose tags is current with 412, and writes nothing', async () => {
      const user = await userAtVersion2('etag-list-stale@acme.test');
      const before = await userRow(t, String(user.id));
      const stale = { 'If-Match': 'W/"1", W/"7"' };
      assertScimError(await call('put', `/Users/${user.id}`, userBody('etag-list-stale@acme.test', { title: 'lost' }), stale), 412);
      assertScimError(await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'lost' }), stale), 412);
      assertScimError(await call('delete', `/Users/${user.id}`, undefined, stale), 412);
      assert.deepEqual(await userRow(t, String(user.id)), before);
    });

    it('answers 404, not 412, to an If-Match list on a user that does not exist', async () => {
      assertScimError(await call('patch', `/Users/${randomUUID()}`, patchOps({ op: 'replace', path: 'title', value: 'x' }), { 'If-Match': 'W/"1", W/"2"' }), 404);
    });

    it('answers 304 to an If-None-Match list when any tag is current, and 200 when none is', async () => {
      const user = await userAtVersion2('etag-inm-list@acme.test');
      await call('get', `/Users/${user.id}`, undefined, { 'If-None-Match': 'W/"7", W/"2"' }).expect(304);
      await call('get', `/Users/${user.id}`, undefined, { 'If-None-Match': 'W/"1",W/"7"' }).expect(200);
    });

    it('works without If-Match (Okta and Entra never send it)', async () => {
      const user = await userAtVersion2('etag-none@acme.test');
      await call('put', `/Users/${user.id}`, userBody('etag-none@acme.test', { title: 'put' })).expect(200);
      await call('patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'patched' })).expect(200);
      assert.equal((await userRow(t, String(user.id)))?.version, 4);
      await call('delete', `/Users/${user.id}`).expect(204);
    });
  });

  /**
   * A user shows their manager's name and their groups' names, which live in other rows: the
   * tag covers them, so a cached copy is not answered 304 once they changed (found: a renamed
   * manager kept the report at W/"1" and If-None-Match: W/"1" answered 304 with the old name).
   */
  describe('users: what the tag covers besides the user\'s row', () => {
    const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    const tagOf = async (id: unknown) => {
      const res = await call('get', `/Users/${String(id)}`).expect(200);
      assert.equal(res.body.meta.version, res.headers.etag);
      return String(res.headers.etag);
    };
    const fresh = async (id: unknown, etag: string) => {
      const res = await call('get', `/Users/${String(id)}`, undefined, { 'If-None-Match': etag });
      assert.equal(res.status, 200, `a tag issued before the change still matched: ${etag}`);
      assert.notEqual(res.headers.etag, etag);
    };

    it('changes a report\'s ETag when the manager is renamed, deleted or restored, never answering 304 to the old tag', async () => {
      const boss = await postUser(t, acme.tokens.scim, 'etag-boss@acme.test', { displayName: 'Ann Boss' });
      const report = await postUser(t, acme.tokens.scim, 'etag-report@acme.test', { [ENT]: { manager: { value: boss.id } } });
      const first = await tagOf(report.id);
      assert.equal(report.meta && (report.meta as Json).version, first);
      await call('patch', `/Users/${String(boss.id)}`, patchOps({ op: 'replace', path: 'displayName', value: 'Anne Boss' })).expect(200);
      await fresh(report.id, first);
      const renamed = await tagOf(report.id);
      await call('delete', `/Users/${String(boss.id)}`).expect(204);
      await fresh(report.id, renamed);
      const deleted = await tagOf(report.id);
      await request(t.app).post(`/api/orgs/acme/users/${String(boss.id)}/restore`).set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200);
      await fresh(report.id, deleted);
      assert.equal((await userRow(t, String(report.id)))?.version, 1, 'the report\'s own row did not change');
    });

    it('changes a user\'s ETag when they join a group or the group is renamed, and lists show the same tag', async () => {
      const user = await postUser(t, acme.tokens.scim, 'etag-joiner@acme.test');
      const alone = await tagOf(user.id);
      const group = await postGroup(t, acme.tokens.scim, 'Etag Ward', [String(user.id)]);
      await fresh(user.id, alone);
      const joined = await tagOf(user.id);
      await call('patch', `/Groups/${String(group.id)}`, patchOps({ op: 'replace', path: 'displayName', value: 'Etag Ward 2' })).expect(200);
      await fresh(user.id, joined);
      const listed = await call('get', `/Users?filter=${encodeURIComponent('userName eq "etag-joiner@acme.test"')}`).expect(200);
      assert.equal(listed.body.Resources[0].meta.version, await tagOf(user.id));
    });

    it('takes If-Match by the user\'s own version: a write after the manager was renamed is not refused', async () => {
      const boss = await postUser(t, acme.tokens.scim, 'etag-boss2@acme.test', { displayName: 'Bo Ss' });
      const report = await postUser(t, acme.tokens.scim, 'etag-report2@acme.test', { [ENT]: { manager: { value: boss.id } } });
      const before = await tagOf(report.id);
      await call('patch', `/Users/${String(boss.id)}`, patchOps({ op: 'replace', path: 'displayName', value: 'Bo Ss II' })).expect(200);
      const res = await call('patch', `/Users/${String(report.id)}`, patchOps({ op: 'replace', path: 'title', value: 'kept' }), { 'If-Match': before }).expect(200);
      assert.equal(res.body.title, 'kept');
      assert.equal(res.headers.etag, await tagOf(report.id));
      assert.equal((await userRow(t, String(report.id)))?.version, 2);
    });
  });

  describe('groups', () => {
    it('changes a group\'s ETag when a member is renamed or deleted, never answering 304 to the old tag', async () => {
      const member = await postUser(t, acme.tokens.scim, 'etag-shown-member@acme.test', { displayName: 'Mem Ber' });
      const group = await postGroup(t, acme.tokens.scim, 'Etag shown members', [String(member.id)]);
      const tagOf = async () => {
        const res = await call('get', `/Groups/${String(group.id)}`).expect(200);
        assert.equal(res.body.meta.version, res.headers.etag);
        return String(res.headers.etag);
      };
      const first = await tagOf();
      assert.equal(first, (group.meta as Json).version);
      await call('patch', `/Users/${String(member.id)}`, patchOps({ op: 'replace', path: 'displayName', value: 'Mem Ber II' })).expect(200);
      assert.equal((await call('get', `/Groups/${String(group.id)}`, undefined, { 'If-None-Match': first })).status, 200);
      const renamed = await tagOf();
      assert.notEqual(renamed, first);
      await call('delete', `/Users/${String(member.id)}`).expect(204);
      const gone = await call('get', `/Groups/${String(group.id)}`, undefined, { 'If-None-Match': renamed });
      assert.equal(gone.status, 200);
      assert.deepEqual(gone.body.members ?? [], []);
      assert.equal((await groupRow(t, String(group.id)))?.version, 1, 'the group\'s own row did not change');
      await call('patch', `/Groups/${String(group.id)}`, patchOps({ op: 'replace', path: 'displayName', value: 'Etag shown members 2' }), { 'If-Match': renamed }).expect(200);
    });

    it('returns ETag W/"n" on GET and 304 to If-None-Match naming it', async () => {
      const group = await postGroup(t, acme.tokens.scim, 'ETag group');
      const res = await call('get', `/Groups/${group.id}`).expect(200);
      assert.equal(res.headers.etag, 'W/"1"');
      assert.equal(res.body.meta.version, 'W/"1"');
      await call('get', `/Groups/${group.id}`, undefined, { 'If-None-Match': 'W/"1"' }).expect(304);
    });

    it('refuses group PUT, PATCH and DELETE with a stale If-Match with 412 and writes nothing', async () => {
      const u = await postUser(t, acme.tokens.scim, 'etag-member@acme.test');
      const group = await postGroup(t, acme.tokens.scim, 'Stale group');
      await call('patch', `/Groups/${group.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Stale group v2' })).expect(200);
      const before = await groupRow(t, String(group.id));
      const stale = { 'If-Match': 'W/"1"' };
      assertScimError(await call('put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Lost', members: [{ value: u.id }] }, stale), 412);
      assertScimError(await call('patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: u.id }] }), stale), 412);
      assertScimError(await call('delete', `/Groups/${group.id}`, undefined, stale), 412);
      assert.deepEqual(await groupRow(t, String(group.id)), before);
      assert.deepEqual(await memberIds(t, String(group.id)), []);
    });

    it('accepts group PUT, PATCH and DELETE when any tag of an If-Match list is current, and refuses a list of stale ones', async () => {
      const u = await postUser(t, acme.tokens.scim, 'etag-member3@acme.test');
      const group = await postGroup(t, acme.tokens.scim, 'Listed group');
      await call('put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Listed group 2' }, { 'If-Match': 'W/"5", W/"1"' }).expect(200);
      assertScimError(await call('patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: u.id }] }), { 'If-Match': 'W/"1", W/"3"' }), 412);
      const added = await call('patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: u.id }] }), { 'If-Match': 'W/"1", W/"2"' }).expect(200);
      // With a member, the tag is W/"3.<digest of the members shown>" (etag.ts).
      await call('get', `/Groups/${group.id}`, undefined, { 'If-None-Match': `W/"1", ${String(added.headers.etag)}` }).expect(304);
      await call('delete', `/Groups/${group.id}`, undefined, { 'If-Match': 'W/"9", W/"3"' }).expect(204);
      assert.equal(await groupRow(t, String(group.id)), undefined);
    });

    it('accepts group PUT, PATCH and DELETE with the current If-Match', async () => {
      const u = await postUser(t, acme.tokens.scim, 'etag-member2@acme.test');
      const group = await postGroup(t, acme.tokens.scim, 'Fresh group');
      const put = await call('put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Fresh group 2' }, { 'If-Match': 'W/"1"' }).expect(200);
      assert.equal(put.headers.etag, 'W/"2"');
      const patch = await call('patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: u.id }] }), { 'If-Match': 'W/"2"' }).expect(200);
      assert.match(String(patch.headers.etag), /^W\/"3\.[0-9a-f]{12}"$/);
      // If-Match compares the version alone (etag.ts ifMatchVersions).
      await call('delete', `/Groups/${group.id}`, undefined, { 'If-Match': 'W/"3"' }).expect(204);
      assert.equal(await groupRow(t, String(group.id)), undefined);
    });
  });
});
