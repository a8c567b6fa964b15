import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, assertScimError, createScimTestApp, patchOps, postUser, scimRequest, userBody, userRow } from '../../support/scim.ts';

const ACME_EXT = 'urn:example:params:scim:schemas:extension:acme:2.0:User';

/** Attributes the schema does not know are kept as sent (resource-input.ts), so IdPs read back what they wrote. */
describe('SCIM round-trip of unknown attributes and PUT semantics', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const body = (userName: string) =>
    userBody(userName, {
      schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA, ACME_EXT],
      favouriteColour: 'teal',
      [ACME_EXT]: { badge: '42' },
      [ENTERPRISE_SCHEMA]: { department: 'R&D', costCenter: 'CC-7' },
    });

  it('returns an unknown top-level attribute and an unknown extension object unchanged on GET', async () => {
    const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', body('ursula@acme.test')).expect(201);
    assert.equal(created.body.favouriteColour, 'teal');
    assert.deepEqual(created.body[ACME_EXT], { badge: '42' });
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${created.body.id}`).expect(200);
    assert.equal(got.body.favouriteColour, 'teal');
    assert.deepEqual(got.body[ACME_EXT], { badge: '42' });
    assert.equal(got.body[ENTERPRISE_SCHEMA].department, 'R&D');
    assert.equal(got.body[ENTERPRISE_SCHEMA].costCenter, 'CC-7');
  });

  // RFC 7643 §3: schemas lists every schema whose attributes the resource holds.
  it('lists a custom extension URN in schemas on POST, GET and lists, after the core and enterprise ones', async () => {
    const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', body('custom-urn@acme.test')).expect(201);
    assert.deepEqual(created.body.schemas, [USER_SCHEMA, ENTERPRISE_SCHEMA, ACME_EXT]);
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${created.body.id}`).expect(200);
    assert.deepEqual(got.body.schemas, [USER_SCHEMA, ENTERPRISE_SCHEMA, ACME_EXT]);
    const list = await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent('userName eq "custom-urn@acme.test"')}`).expect(200);
    assert.deepEqual(list.body.Resources[0].schemas, [USER_SCHEMA, ENTERPRISE_SCHEMA, ACME_EXT]);
  });

  it('lists a custom extension in schemas even when the client left it out, and only extension objects', async () => {
    const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('unlisted@acme.test', {
      schemas: [USER_SCHEMA],
      [ACME_EXT]: { badge: 'B-1' },
      'urn:example:flat:attribute': 'not an extension object',
    })).expect(201);
    assert.deepEqual(res.body.schemas, [USER_SCHEMA, ACME_EXT]);
    assert.deepEqual(res.body[ACME_EXT], { badge: 'B-1' });
  });

  it('lists a custom Group extension URN in schemas', async () => {
    const GROUP_EXT = 'urn:example:custom:2.0:Group';
    const res = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA, GROUP_EXT], displayName: 'Custom', [GROUP_EXT]: { costCode: '7' } }).expect(201);
    assert.deepEqual(res.body.schemas, [GROUP_SCHEMA, GROUP_EXT]);
    assert.deepEqual(res.body[GROUP_EXT], { costCode: '7' });
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Groups/${res.body.id}`).expect(200);
    assert.deepEqual(got.body.schemas, [GROUP_SCHEMA, GROUP_EXT]);
  });

  it('returns the unknown attributes in list responses too', async () => {
    await postUser(t, acme.tokens.scim, 'victor@acme.test', { favouriteColour: 'red', [ACME_EXT]: { badge: '7' } });
    const res = await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent('userName eq "victor@acme.test"')}`).expect(200);
    assert.equal(res.body.Resources[0].favouriteColour, 'red');
    assert.deepEqual(res.body.Resources[0][ACME_EXT], { badge: '7' });
  });

  it('selects unknown attributes and extensions by name or URN with attributes, and excludes them with excludedAttributes', async () => {
    const created = await postUser(t, acme.tokens.scim, 'projected@acme.test', { favouriteColour: 'blue', [ACME_EXT]: { badge: '9' }, [ENTERPRISE_SCHEMA]: { department: 'Ops' } });
    const get = (query: string) => scimRequest(t, acme.tokens.scim, 'get', `/Users/${created.id}?${query}`).expect(200);
    const colour = await get('attributes=favouriteColour');
    assert.deepEqual([colour.body.id, colour.body.favouriteColour, colour.body.userName], [created.id, 'blue', undefined]);
    const enterprise = await get(`attributes=${ENTERPRISE_SCHEMA}`);
    assert.deepEqual(enterprise.body[ENTERPRISE_SCHEMA], { department: 'Ops' });
    assert.equal(enterprise.body.userName, undefined);
    const badge = await get(`attributes=${ACME_EXT}:badge,userName`);
    assert.deepEqual([badge.body[ACME_EXT], badge.body.userName], [{ badge: '9' }, 'projected@acme.test']);
    const without = await get(`excludedAttributes=schemas,favouriteColour,${ACME_EXT}`);
    assert.deepEqual([without.body.favouriteColour, without.body[ACME_EXT], without.body.userName], [undefined, undefined, 'projected@acme.test']);
    assert.ok(Array.isArray(without.body.schemas));
    const list = await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent('userName eq "projected@acme.test"')}&attributes=favouriteColour`).expect(200);
    assert.deepEqual(list.body.Resources, [{ schemas: without.body.schemas, id: created.id, favouriteColour: 'blue' }]);
  });

  it('refuses an attributes name of invalid syntax with 400 invalidValue, even when no resource matches', async () => {
    const res = await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent('userName eq "nobody@acme.test"')}&attributes=${encodeURIComponent('shoe size')}`);
    assertScimError(res, 400, 'invalidValue');
  });

  it('keeps the unknown attributes through a PATCH of a known one', async () => {
    const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', body('wanda@acme.test')).expect(201);
    const patched = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${created.body.id}`, patchOps({ op: 'replace', path: 'title', value: 'CTO' })).expect(200);
    assert.equal(patched.body.title, 'CTO');
    assert.equal(patched.body.favouriteColour, 'teal');
    assert.deepEqual(patched.body[ACME_EXT], { badge: '42' });
  });

  it('keeps the user active when a PUT omits active (Okta AIW apps)', async () => {
    const created = await postUser(t, acme.tokens.scim, 'xena@acme.test');
    const { active: _active, ...withoutActive } = userBody('xena@acme.test', { name: { givenName: 'Xena', familyName: 'Warrior' } });
    const res = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${created.id}`, withoutActive).expect(200);
    assert.equal(res.body.active, true);
    assert.equal(res.body.name.givenName, 'Xena');
    assert.equal((await userRow(t, String(created.id)))?.state, 'active');
  });

  it('keeps a disabled user disabled when a PUT omits active', async () => {
    const created = await postUser(t, acme.tokens.scim, 'yuri@acme.test', { active: false });
    const { active: _active, ...withoutActive } = userBody('yuri@acme.test', { title: 'Contractor' });
    const res = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${created.id}`, withoutActive).expect(200);
    assert.equal(res.body.active, false);
    assert.equal((await userRow(t, String(created.id)))?.state, 'disabled');
  });

  it('deactivates on a PUT with active:false', async () => {
    const created = await postUser(t, acme.tokens.scim, 'zoe@acme.test');
    const res = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${created.id}`, userBody('zoe@acme.test', { active: false })).expect(200);
    assert.equal(res.body.active, false);
    assert.equal((await userRow(t, String(created.id)))?.state, 'disabled');
  });

  it('accepts and drops a password on create (Okta sends one even with password sync off)', async () => {
    const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('pat@acme.test', { password: 'hunter2!' })).expect(201);
    assert.equal(res.body.password, undefined);
    const got = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${res.body.id}`).expect(200);
    assert.equal(got.body.password, undefined);
    assert.doesNotMatch(JSON.stringify(await userRow(t, String(res.body.id))), /hunter2/);
  });
});
