import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { auth } from '../../people/support.ts';
import { commit, csv, upload } from '../../csv/import-support.ts';
import { entra, okta, USER_SCHEMA, VendorClient } from './vendor-client.ts';

/**
 * A disable made here (an admin, a CSV) sticks: Okta's profile-push PUT always
 * carries `active: true`, and Entra re-sends `active` when it sees a
 * difference, yet neither decided to let the person back in. The rest of the
 * write applies; the answer says `active: false`; the person's activity notes
 * the held activation. The IdP's own disable stays the IdP's to undo.
 */

function oktaUser(userName: string, givenName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName, familyName: 'Example' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    active: true,
    ...extra,
  };
}

describe('A local disable of an IdP-provisioned person', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let oktaClient: VendorClient;
  let entraClient: VendorClient;

  before(async () => {
    t = await createTestApp({ config: { scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } } });
    acme = await seedOrg(t.container, 'acme');
    oktaClient = new VendorClient(t.app, acme.tokens.scim, okta);
    entraClient = new VendorClient(t.app, acme.tokens.scim, entra);
    // Enough enabled people that one CSV disable stays under the mass-disable threshold.
    for (let i = 0; i < 6; i++) await oktaClient.post('/Users', oktaUser(`bystander${i}@acme.example`, 'By')).expect(201);
  });
  after(() => t.close());

  const admin = (method: 'get' | 'post', path: string) => request(t.app)[method](`/api/orgs/${acme.slug}${path}`).set(auth(acme.tokens.admin));

  async function provisioned(name: string): Promise<string> {
    const res = await oktaClient.post('/Users', oktaUser(`${name}@acme.example`, name)).expect(201);
    return res.body.id;
  }

  async function heldNotes(id: string): Promise<Array<{ details: Record<string, unknown> }>> {
    const res = await admin('get', `/users/${id}/activity`).expect(200);
    return res.body.events.filter((e: { action: string }) => e.action === 'user.activation_held');
  }

  it('keeps an admin-disabled person disabled through Okta\'s profile-push PUT with active true, applying the rest', async () => {
    const id = await provisioned('leaver');
    await admin('post', `/users/${id}/disable`).expect(200);
    const put = await oktaClient.put(`/Users/${id}`, oktaUser('leaver@acme.example', 'Renamed')).expect(200);
    assert.equal(put.body.active, false);
    assert.equal(put.body.name.givenName, 'Renamed');
    const person = await admin('get', `/users/${id}`).expect(200);
    assert.equal(person.body.status, 'disabled');
    assert.equal(person.body.disabledBy, 'admin');
    const notes = await heldNotes(id);
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.details.disabledBy, 'admin');
  });

  it('keeps an admin-disabled person disabled through Entra\'s PATCH active "True", answering active false', async () => {
    const id = await provisioned('entra-leaver');
    await admin('post', `/users/${id}/disable`).expect(200);
    const patched = await entraClient.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'True' }]).expect(200);
    assert.equal(patched.body.active, false);
    const again = await entraClient.patch(`/Users/${id}`, [{ op: 'Replace', value: { active: 'True', displayName: 'Still Out' } }]).expect(200);
    assert.equal(again.body.active, false);
    assert.equal(again.body.displayName, 'Still Out');
    const read = await entraClient.get(`/Users/${id}`).expect(200);
    assert.equal(read.body.active, false);
    // Noted once per disable, not once per retry.
    assert.equal((await heldNotes(id)).length, 1);
  });

  it('counts a CSV disable as local: the IdP\'s active true does not undo it', async () => {
    const id = await provisioned('csv-leaver');
    const imported = await upload(t, acme, csv('Email', 'csv-leaver@acme.example'), { mode: 'disable' }).expect(201);
    await commit(t, acme, imported.body.id).expect(200);
    const person = await admin('get', `/users/${id}`).expect(200);
    assert.equal(person.body.status, 'disabled');
    assert.equal(person.body.disabledBy, 'csv');
    const put = await oktaClient.put(`/Users/${id}`, oktaUser('csv-leaver@acme.example', 'Csv')).expect(200);
    assert.equal(put.body.active, false);
    assert.equal((await heldNotes(id))[0]!.details.disabledBy, 'csv');
  });

  it('lets the IdP reactivate a person it disabled itself', async () => {
    const id = await provisioned('idp-off');
    const off = await entraClient.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]).expect(200);
    assert.equal(off.body.active, false);
    assert.equal((await admin('get', `/users/${id}`).expect(200)).body.disabledBy, 'scim');
    const on = await oktaClient.put(`/Users/${id}`, oktaUser('idp-off@acme.example', 'Idp')).expect(200);
    assert.equal(on.body.active, true);
    assert.equal((await admin('get', `/users/${id}`).expect(200)).body.disabledBy, null);
  });

  it('makes a local disable the IdP\'s once the IdP disables the person too, so its later enable works', async () => {
    const id = await provisioned('handed-over');
    await admin('post', `/users/${id}/disable`).expect(200);
    await entraClient.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]).expect(200);
    assert.equal((await admin('get', `/users/${id}`).expect(200)).body.disabledBy, 'scim');
    const activity = await admin('get', `/users/${id}/activity`).expect(200);
    const adopted = activity.body.events.find((e: { action: string }) => e.action === 'user.disable_adopted');
    assert.deepEqual(adopted?.details.disabledBy, { from: 'admin', to: 'scim' });
    const on = await entraClient.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'True' }]).expect(200);
    assert.equal(on.body.active, true);
  });

  it('lets the IdP\'s writes through again once an admin reactivates the person here', async () => {
    const id = await provisioned('returner');
    await admin('post', `/users/${id}/disable`).expect(200);
    await oktaClient.put(`/Users/${id}`, oktaUser('returner@acme.example', 'Returner')).expect(200);
    await admin('post', `/users/${id}/reactivate`).expect(200);
    assert.equal((await admin('get', `/users/${id}`).expect(200)).body.disabledBy, null);
    const put = await oktaClient.put(`/Users/${id}`, oktaUser('returner@acme.example', 'Back')).expect(200);
    assert.equal(put.body.active, true);
    const off = await oktaClient.put(`/Users/${id}`, oktaUser('returner@acme.example', 'Back', { active: false })).expect(200);
    assert.equal(off.body.active, false);
    const on = await oktaClient.put(`/Users/${id}`, oktaUser('returner@acme.example', 'Back')).expect(200);
    assert.equal(on.body.active, true);
  });

  it('answers a SCIM-created disabled person as disabled by the IdP', async () => {
    const res = await entraClient.post('/Users', { ...oktaUser(`born-off-${randomUUID().slice(0, 8)}@acme.example`, 'Born'), active: false }).expect(201);
    assert.equal((await admin('get', `/users/${res.body.id}`).expect(200)).body.disabledBy, 'scim');
  });
});
