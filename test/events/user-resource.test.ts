import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createScimTestApp, ENTERPRISE_SCHEMA, patchOps, postGroup, postUser, scimRequest, USER_SCHEMA } from '../support/scim.ts';
import { addUser, api } from '../people/support.ts';
import { profileFields, type ProfileField } from '../../src/directory/people.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/** A value the admin API takes for each profile field it edits. */
const valueFor: Record<ProfileField, string> = {
  givenName: 'Ann', familyName: 'Ames', middleName: 'Beth', displayName: 'Ann Ames', nickName: 'Annie', title: 'CFO',
  department: 'Finance', division: 'EMEA', organization: 'Acme GmbH', costCenter: 'CC-42', employeeNumber: 'E-1001',
  officeLocation: 'Berlin 3F', preferredLanguage: 'de', locale: 'de-DE', timezone: 'Europe/Berlin', phone: '+49 30 1234567',
};

async function eventsAfter(t: TestApp, org: SeededOrg, after: string): Promise<Json[]> {
  await t.container.events.publishAll();
  const res = await api(t, org).get(`/events?after=${after}&limit=1000`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events as Json[];
}

async function cursorOf(t: TestApp, org: SeededOrg): Promise<string> {
  await t.container.events.publishAll();
  const res = await api(t, org).get('/events?limit=1000');
  return String(res.body.cursor);
}

/** Every field GET /users/:id shows (but the open invitation's id) is in the resource with the same value. */
async function assertRenderedAsAdminApi(t: TestApp, org: SeededOrg, resource: Json): Promise<void> {
  const person = await api(t, org).get(`/users/${resource.id}`);
  assert.equal(person.status, 200, JSON.stringify(person.body));
  const { invitationId: _invitationId, ...shown } = person.body as Json;
  for (const [key, value] of Object.entries(shown)) {
    assert.ok(key in resource, `resource lacks ${key}`);
    assert.deepEqual(resource[key], value, `resource.${key}`);
  }
}

describe('events: a person’s resource carries every profile field the admin API shows', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp({ scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } });
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  for (const field of profileFields) {
    it(`gives an admin's change of ${field} alone a user.updated whose changes and resource carry the new value`, async () => {
      const id = await addUser(t, acme, { userName: `${field.toLowerCase()}@acme.test`, givenName: 'Given', familyName: 'Family' });
      const start = await cursorOf(t, acme);
      const res = await api(t, acme).patch(`/users/${id}`, { [field]: valueFor[field] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const events = await eventsAfter(t, acme, start);
      assert.deepEqual(events.map((e) => e.type), ['user.updated']);
      const [event] = events as [Json];
      if (field === 'phone') {
        // The profile's number is the mobile of phoneNumbers: the change is recorded as that list's (as over SCIM).
        const number = { value: valueFor.phone, type: 'mobile', primary: true };
        assert.deepEqual(event.data.changes.phoneNumbers, { before: [], after: [number] });
        assert.deepEqual(event.resource.phoneNumbers, [number]);
      } else {
        assert.deepEqual(event.data.changes[field], { before: field === 'givenName' ? 'Given' : field === 'familyName' ? 'Family' : null, after: valueFor[field] });
      }
      assert.equal(event.resource[field], valueFor[field]);
      await assertRenderedAsAdminApi(t, acme, event.resource);
    });
  }

  it('gives an admin\'s disable a user.disabled whose resource says who disabled them, as GET /users/:id does', async () => {
    const id = await addUser(t, acme, { userName: 'leaver@acme.test' });
    const start = await cursorOf(t, acme);
    assert.equal((await api(t, acme).post(`/users/${id}/disable`)).status, 200);
    const events = await eventsAfter(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.disabled']);
    const resource = events[0]!.resource as Json;
    assert.equal(resource.disabledBy, 'admin');
    await assertRenderedAsAdminApi(t, acme, resource);
  });

  it('gives a person created over SCIM with core and enterprise attributes a user.created rendered as GET /users/:id', async () => {
    const start = await cursorOf(t, acme);
    const user = await postUser(t, acme.tokens.scim, 'ent@acme.test', {
      schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
      name: { givenName: 'Ent', familyName: 'Erprise', middleName: 'Q' },
      nickName: 'Enty', title: 'Controller', preferredLanguage: 'fr', locale: 'fr-FR', timezone: 'Europe/Paris',
      phoneNumbers: [{ value: '+33 1 23 45 67 89', type: 'mobile' }],
      [ENTERPRISE_SCHEMA]: { employeeNumber: 'E-7', department: 'Audit', division: 'West', organization: 'Acme SA', costCenter: 'CC-7' },
    });
    const events = await eventsAfter(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.created']);
    const resource = events[0]!.resource as Json;
    assert.equal(resource.id, user.id);
    assert.deepEqual(
      [resource.middleName, resource.nickName, resource.preferredLanguage, resource.locale, resource.timezone, resource.phone],
      ['Q', 'Enty', 'fr', 'fr-FR', 'Europe/Paris', '+33 1 23 45 67 89'],
    );
    assert.deepEqual(
      [resource.employeeNumber, resource.department, resource.division, resource.organization, resource.costCenter],
      ['E-7', 'Audit', 'West', 'Acme SA', 'CC-7'],
    );
    await assertRenderedAsAdminApi(t, acme, resource);
  });

  it('gives a SCIM change of enterprise attributes alone a user.updated whose changes and resource carry them', async () => {
    const user = await postUser(t, acme.tokens.scim, 'ent2@acme.test');
    const start = await cursorOf(t, acme);
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps(
      { op: 'replace', path: `${ENTERPRISE_SCHEMA}:costCenter`, value: 'CC-9' },
      { op: 'replace', path: `${ENTERPRISE_SCHEMA}:division`, value: 'North' },
      { op: 'replace', path: `${ENTERPRISE_SCHEMA}:organization`, value: 'Acme AB' },
    ));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const events = await eventsAfter(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.updated']);
    const [event] = events as [Json];
    assert.deepEqual(event.data.changes.costCenter, { before: null, after: 'CC-9' });
    assert.deepEqual(event.data.changes.division, { before: null, after: 'North' });
    assert.deepEqual(event.data.changes.organization, { before: null, after: 'Acme AB' });
    assert.deepEqual([event.resource.costCenter, event.resource.division, event.resource.organization], ['CC-9', 'North', 'Acme AB']);
    await assertRenderedAsAdminApi(t, acme, event.resource);
  });

  it('gives a SCIM change of language, locale and time zone alone a user.updated whose resource carries them', async () => {
    const user = await postUser(t, acme.tokens.scim, 'lang@acme.test');
    const start = await cursorOf(t, acme);
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps(
      { op: 'replace', path: 'preferredLanguage', value: 'sv' },
      { op: 'replace', path: 'locale', value: 'sv-SE' },
      { op: 'replace', path: 'timezone', value: 'Europe/Stockholm' },
    ));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const events = await eventsAfter(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.updated']);
    const [event] = events as [Json];
    assert.deepEqual(event.data.changes.locale, { before: null, after: 'sv-SE' });
    assert.deepEqual([event.resource.preferredLanguage, event.resource.locale, event.resource.timezone], ['sv', 'sv-SE', 'Europe/Stockholm']);
    await assertRenderedAsAdminApi(t, acme, event.resource);
  });

  it('gives a SCIM change of userType and honorifics alone a user.updated whose resource carries the fields its changes name', async () => {
    const user = await postUser(t, acme.tokens.scim, 'hon@acme.test');
    const start = await cursorOf(t, acme);
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps(
      { op: 'replace', path: 'userType', value: 'Contractor' },
      { op: 'replace', path: 'name.honorificPrefix', value: 'Dr.' },
      { op: 'replace', path: 'name.honorificSuffix', value: 'PhD' },
    ));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const events = await eventsAfter(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.updated']);
    const [event] = events as [Json];
    assert.deepEqual(event.data.changes.userType, { before: null, after: 'Contractor' });
    for (const field of Object.keys(event.data.changes)) assert.ok(field in event.resource, `resource lacks ${field}, which changes names`);
    assert.deepEqual([event.resource.userType, event.resource.honorificPrefix, event.resource.honorificSuffix], ['Contractor', 'Dr.', 'PhD']);
  });

  it('shows in GET /users/:id and GET /users every field of a SCIM-provisioned person\'s latest user.* resource, with the same value', async () => {
    const start = await cursorOf(t, acme);
    const manager = await postUser(t, acme.tokens.scim, 'boss@acme.test', { externalId: 'okta-boss' });
    const group = await postGroup(t, acme.tokens.scim, 'Resync');
    const user = await postUser(t, acme.tokens.scim, 'sync@acme.test', {
      schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
      externalId: '00u-sync',
      userType: 'Employee',
      name: { givenName: 'Syn', familyName: 'Cee', honorificPrefix: 'Dr.', honorificSuffix: 'MD' },
      emails: [{ value: 'sync@acme.test', type: 'work', primary: true }, { value: 'syn@home.test', type: 'home' }],
      phoneNumbers: [{ value: '+1 555 0100', type: 'work' }, { value: '+1 555 0199', type: 'mobile' }],
      [ENTERPRISE_SCHEMA]: { employeeNumber: 'E-9', manager: { value: manager.id } },
    });
    const added = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: user.id }] }));
    assert.equal(added.status < 300, true, JSON.stringify(added.body));
    const renamed = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'Surgeon' }));
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const latest = (await eventsAfter(t, acme, start)).filter((e) => e.type.startsWith('user.') && e.resource.id === user.id).at(-1)!;
    assert.equal(latest.type, 'user.updated');
    const resource = latest.resource as Json;
    assert.equal(resource.externalId, '00u-sync');
    assert.equal(resource.groups.length, 1);
    const one = await api(t, acme).get(`/users/${user.id}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    const list = await api(t, acme).get('/users?q=sync%40acme.test');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.users, [one.body], 'GET /users shows the person as GET /users/:id does');
    // One mapping for both: every key of the feed's resource, by the same name and value (the view adds only invitationId).
    for (const [key, value] of Object.entries(resource)) {
      assert.ok(key in one.body, `GET /users/:id lacks ${key}`);
      assert.deepEqual(one.body[key], value, `GET /users/:id .${key}`);
    }
    assert.deepEqual(Object.keys(one.body).filter((key) => !(key in resource)), ['invitationId']);
  });
});
