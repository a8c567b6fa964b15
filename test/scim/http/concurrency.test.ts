import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { AuditEvent } from '../../../src/db/entities/index.ts';
import { createScimTestApp, memberIds, patchOps, postGroup, postUser, scimRequest, versionOf } from '../../support/scim.ts';

type Json = Record<string, unknown>;

/**
 * IdPs send membership changes for one group in parallel (Okta group push, Entra
 * cycles). Each PATCH becomes row inserts and deletes, so none may be lost.
 */
describe('SCIM concurrent group membership', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let users: string[];

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    users = [];
    for (let i = 0; i < 20; i++) users.push(String((await postUser(t, acme.tokens.scim, `member${String(i).padStart(2, '0')}@acme.test`)).id));
  });
  after(() => t.close());

  it('keeps all 10 members when 10 PATCH add-member requests for different users run at once', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Parallel adds');
    const wanted = users.slice(0, 10);
    const results = await Promise.all(
      wanted.map((id) => scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: id }] }))),
    );
    assert.deepEqual(results.map((r) => r.status), wanted.map(() => 200), JSON.stringify(results.map((r) => r.body)));
    assert.deepEqual(await memberIds(t, String(group.id)), [...wanted].sort());
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Groups/${group.id}`).expect(200);
    assert.deepEqual(got.body.members.map((m: Json) => m.value).sort(), [...wanted].sort());
    // One version step and one audit event per effective change.
    assert.equal(versionOf(got.body.meta.version), 11);
    const events = await t.container.fork().find(AuditEvent, { targetId: String(group.id), action: 'group.updated' });
    assert.equal(events.length, 10);
  });

  it('loses nothing when adds and removes of different members run at once', async () => {
    const initial = users.slice(0, 5);
    const added = users.slice(5, 10);
    const group = await postGroup(t, acme.tokens.scim, 'Parallel adds and removes', initial);
    const requests = [
      ...initial.map((id) => patchOps({ op: 'remove', path: `members[value eq "${id}"]` })),
      ...added.map((id) => patchOps({ op: 'Add', path: 'members', value: [{ value: id }] })),
    ];
    const results = await Promise.all(requests.map((body) => scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, body)));
    assert.deepEqual(results.map((r) => r.status), requests.map(() => 200), JSON.stringify(results.map((r) => r.body)));
    assert.deepEqual(await memberIds(t, String(group.id)), [...added].sort());
  });

  it("loses nothing when Entra-style removes (path members with a value) and adds run at once", async () => {
    const initial = users.slice(10, 15);
    const added = users.slice(15, 20);
    const group = await postGroup(t, acme.tokens.scim, 'Entra parallel', initial);
    // Entra's remove shape: path `members` plus a value naming who leaves (IDP-NOTES §1.3).
    const requests = [
      ...initial.map((id) => patchOps({ op: 'Remove', path: 'members', value: [{ value: id }] })),
      ...added.map((id) => patchOps({ op: 'Add', path: 'members', value: [{ value: id }] })),
    ];
    const results = await Promise.all(requests.map((body) => scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, body)));
    assert.deepEqual(results.map((r) => r.status), requests.map(() => 200), JSON.stringify(results.map((r) => r.body)));
    assert.deepEqual(await memberIds(t, String(group.id)), [...added].sort());
  });

  it('applies concurrent renames and member adds on the same group without losing either', async () => {
    const group = await postGroup(t, acme.tokens.scim, 'Before rename');
    const results = await Promise.all([
      scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'After rename' })),
      ...users.slice(0, 4).map((id) => scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: id }] }))),
    ]);
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200]);
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Groups/${group.id}`).expect(200);
    assert.equal(got.body.displayName, 'After rename');
    assert.deepEqual(got.body.members.map((m: Json) => m.value).sort(), users.slice(0, 4).sort());
  });

  it('applies concurrent PATCHes of different attributes of one user without losing either', async () => {
    const user = await postUser(t, acme.tokens.scim, 'racer@acme.test');
    const results = await Promise.all([
      scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'Engineer' })),
      scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'The Racer' })),
      scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'name.givenName', value: 'Rae' })),
    ]);
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200], JSON.stringify(results.map((r) => r.body)));
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${user.id}`).expect(200);
    assert.equal(got.body.title, 'Engineer');
    assert.equal(got.body.displayName, 'The Racer');
    assert.equal(got.body.name.givenName, 'Rae');
    assert.equal(got.body.meta.version, 'W/"4"');
  });

  it('answers every one of 12 concurrent PATCHes of one user without If-Match with 200, and keeps every change', async () => {
    const user = await postUser(t, acme.tokens.scim, 'crowd@acme.test');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'add', path: 'emails', value: [{ value: `crowd${i}@other.test`, type: 'other' }] }))));
    assert.deepEqual(results.map((r) => r.status), Array(12).fill(200), JSON.stringify(results.filter((r) => r.status !== 200).map((r) => r.body)));
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${user.id}`).expect(200);
    const emails = new Set((got.body.emails as Json[]).map((e) => e.value));
    for (let i = 0; i < 12; i++) assert.ok(emails.has(`crowd${i}@other.test`), `crowd${i} lost`);
    assert.equal(got.body.meta.version, 'W/"13"');
  });

  it('answers every one of 8 concurrent PUTs of one user without If-Match with 200; the last one written is what stays', async () => {
    const user = await postUser(t, acme.tokens.scim, 'putter@acme.test');
    const body = (i: number) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'putter@acme.test', title: `Title ${i}` });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => scimRequest(t, acme.tokens.scim, 'put', `/Users/${user.id}`, body(i))));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill(200), JSON.stringify(results.filter((r) => r.status !== 200).map((r) => r.body)));
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${user.id}`).expect(200);
    assert.equal(got.body.meta.version, 'W/"9"');
    const last = results.find((r) => r.body.meta.version === 'W/"9"');
    assert.equal(got.body.title, last?.body.title);
  });
});
