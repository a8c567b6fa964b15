import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { assertErrorBody, assertSingleResource, ENTERPRISE, entraWithAgent, GROUP_SCHEMA, memberIds, USER_SCHEMA, VendorClient } from './vendor-client.ts';

/**
 * Microsoft's SCIM Validator (scimvalidator.microsoft.com), which an Entra admin or the product's
 * team runs before connecting Entra: its requests as published from its results (random values
 * included). The `it`s run in order and share state.
 */

const validatorUser = {
  userName: 'shaniya@bauch.co.uk',
  active: true,
  displayName: 'BDFAIMDWZXYA',
  title: 'HZEYUQROKTXF',
  emails: [{ type: 'work', value: 'camille@hermannokuneva.ca', primary: true }],
  preferredLanguage: 'cy-GB',
  name: { givenName: 'Sadye', familyName: 'Keaton', formatted: 'Matt', middleName: 'Marcelo', honorificPrefix: 'Caleigh', honorificSuffix: 'Catalina' },
  addresses: [{ type: 'work', formatted: 'GWRTLPBWYNPV', streetAddress: '845 Anastacio Radial', locality: 'GIZRDTXXWJZC', region: 'JSKIBHIRPFHK', postalCode: 'zl48 3xh', primary: true, country: 'Belize' }],
  phoneNumbers: [
    { type: 'work', value: '56-357-7743', primary: true },
    { type: 'mobile', value: '56-357-7743' },
    { type: 'fax', value: '56-357-7743' },
  ],
  [ENTERPRISE]: { employeeNumber: 'JPOIXPDDDMKH', department: 'KDELNISIUEDX', costCenter: 'PCTBWQQHYLIH', organization: 'CJVPTEPRUCKO', division: 'JBYUDRIYLEDA' },
  // The validator writes roles[].primary as the string "True" (emails', phones' and addresses' as booleans).
  roles: [{ primary: 'True', display: 'RAJBJMKHJSNI', value: 'OGCIACGFVVRR', type: 'IJAQSLXCMJPC' }],
  userType: 'ITYVRPWVQBNN',
  nickName: 'ALLEWIPTSPGW',
  locale: 'PUWGYNUKSGVE',
  timezone: 'America/Indiana/Knox',
  profileUrl: 'RVSZJGLGMDLF',
  schemas: [USER_SCHEMA, ENTERPRISE],
};

const add = (path: string, value: unknown) => ({ op: 'add', path, value });

describe('Microsoft SCIM Validator transcript', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let client: VendorClient;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    client = new VendorClient(t.app, acme.tokens.scim, entraWithAgent);
  });
  after(() => t.close());

  it('creates the validator\'s user with roles[].primary "True" and returns it as a boolean', async () => {
    const res = await client.post('/Users', validatorUser);
    assertSingleResource(res, 201, 'User');
    assert.deepEqual(res.body.roles, [{ primary: true, display: 'RAJBJMKHJSNI', value: 'OGCIACGFVVRR', type: 'IJAQSLXCMJPC' }]);
    assert.equal(res.body[ENTERPRISE].division, 'JBYUDRIYLEDA');
  });

  it('refuses the validator\'s made-up manager id with 400 naming manager.value (README: leave manager out of its attributes)', async () => {
    const res = await client.post('/Users', { ...validatorUser, userName: 'other@bauch.co.uk', [ENTERPRISE]: { manager: { value: 'GZFDHGRKQLCG' } } });
    assertErrorBody(res, 400);
    assert.match(res.body.detail, /manager\.value/);
  });

  it('applies "Patch User - Add Attributes Verbose": one add per attribute, roles by [primary eq "True"]', async () => {
    const created = await client.post('/Users', { userName: 'eleanore@boyercorwin.biz', schemas: [USER_SCHEMA] }).expect(201);
    const res = await client.patch(`/Users/${created.body.id}`, [
      add('active', true),
      add('displayName', 'RJEXKNFYZKXS'),
      add('title', 'AQRBJVCQOVZL'),
      add('emails[type eq "work"].value', 'broderick_ohara@blick.name'),
      add('emails[type eq "work"].primary', true),
      add('preferredLanguage', 'pa'),
      add('name.givenName', 'Terrence'),
      add('name.familyName', 'Brandi'),
      add('addresses[type eq "work"].locality', 'GIZRDTXXWJZC'),
      add('addresses[type eq "work"].primary', true),
      add('phoneNumbers[type eq "work"].value', '56-357-7743'),
      add('phoneNumbers[type eq "work"].primary', true),
      add('phoneNumbers[type eq "mobile"].value', '56-357-7744'),
      add('roles[primary eq "True"].display', 'TQBJFQYVJCAG'),
      add('roles[primary eq "True"].value', 'UOYTUVLKIPND'),
      add('roles[primary eq "True"].type', 'VGNBBCPQEMYC'),
      add('userType', 'ZEKBCKVMSSHY'),
      add(`${ENTERPRISE}:employeeNumber`, 'LXDAHKZRQYLX'),
    ]);
    assertSingleResource(res, 200, 'User');
    const read = await client.get(`/Users/${created.body.id}`).expect(200);
    assert.deepEqual(read.body.roles, [{ primary: true, display: 'TQBJFQYVJCAG', value: 'UOYTUVLKIPND', type: 'VGNBBCPQEMYC' }]);
    assert.deepEqual(read.body.emails, [{ type: 'work', value: 'broderick_ohara@blick.name', primary: true }]);
    assert.deepEqual(read.body.phoneNumbers, [
      { type: 'work', value: '56-357-7743', primary: true },
      { type: 'mobile', value: '56-357-7744' },
    ]);
    assert.deepEqual(read.body.addresses, [{ type: 'work', locality: 'GIZRDTXXWJZC', primary: true }]);
    assert.equal(read.body.name.givenName, 'Terrence');
    assert.equal(read.body[ENTERPRISE].employeeNumber, 'LXDAHKZRQYLX');
  });

  it('passes the group tests: path-less replace, members by replace, add then remove in one PATCH, empty PATCH, delete twice', async () => {
    const group = await client.post('/Groups', { displayName: 'NUSHDROHXPIN', externalId: '6d1ca7c2-09f0-4be1-bba9-a7a2668d5540', schemas: [GROUP_SCHEMA] }).expect(201);
    const at = `/Groups/${group.body.id}`;
    const renamed = await client.patch(at, [{ op: 'replace', value: { externalId: '663fa3a8-e2b6-4ac0-96c8-363432cdc01d', displayName: 'WUZPWMBDDCGI' } }]).expect(200);
    assert.deepEqual([renamed.body.externalId, renamed.body.displayName], ['663fa3a8-e2b6-4ac0-96c8-363432cdc01d', 'WUZPWMBDDCGI']);
    const [a, b] = await Promise.all(['member_odessa@gulgowski.uk', 'member_ciara@botsfordlittle.co.uk'].map(async (userName) => (await client.post('/Users', { userName, schemas: [USER_SCHEMA] }).expect(201)).body.id as string));
    const both = await client.patch(at, [{ op: 'replace', path: 'members', value: [{ value: a }, { value: b }] }]).expect(200);
    assert.deepEqual(memberIds(both.body), [a!, b!].sort());
    const one = await client.patch(at, [{ op: 'remove', path: `members[value eq "${a}"]` }]).expect(200);
    assert.deepEqual(memberIds(one.body), [b!]);
    const same = await client.patch(at, [{ op: 'add', path: 'members', value: [{ value: a }] }, { op: 'remove', path: `members[value eq "${a}"]` }]).expect(200);
    assert.deepEqual(memberIds(same.body), [b!]);
    const empty = await client.patch(at, []).expect(200);
    assert.equal(empty.body.meta.version, same.body.meta.version);
    await client.delete(at).expect(204);
    assertErrorBody(await client.delete(at), 404);
  });
});
