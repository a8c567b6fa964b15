import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, auditActions, auth, createPeopleTestApp } from './support.ts';

type Problem = { field: string; reason: string };
const problemsOf = (body: { error: { details: { problems: Problem[] } } }) => body.error.details.problems;

describe('admin API: every editable profile field is readable and checked', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const profile = {
    givenName: 'Grace', familyName: 'Hopper', middleName: 'Brewster', displayName: 'Grace Hopper', nickName: 'Amazing Grace',
    title: 'Rear Admiral', department: 'Navy', division: 'Computing', organization: 'US Navy', costCenter: 'CC-42',
    employeeNumber: 'E-1906', officeLocation: 'Arlington', preferredLanguage: 'en-US', locale: 'en_US', timezone: 'America/New_York',
    phone: '+1 (555) 123-4567 ext. 89',
  };

  it('shows each field PATCH takes in its answer, in GET /users/:id and in the list', async () => {
    const id = await addUser(t, acme, { userName: 'grace' });
    const patched = await api(t, acme).patch(`/users/${id}`, profile).expect(200);
    const one = await api(t, acme).get(`/users/${id}`).expect(200);
    const listed = (await api(t, acme).get('/users?q=grace').expect(200)).body.users.find((u: { id: string }) => u.id === id);
    for (const [field, value] of Object.entries(profile)) {
      assert.equal(patched.body[field], value, `PATCH answer: ${field}`);
      assert.equal(one.body[field], value, `GET: ${field}`);
      assert.equal(listed[field], value, `list: ${field}`);
    }
    // Clearing shows null, not a missing key.
    const cleared = await api(t, acme).patch(`/users/${id}`, { locale: null, timezone: '', nickName: null }).expect(200);
    assert.deepEqual([cleared.body.locale, cleared.body.timezone, cleared.body.nickName], [null, null, null]);
  });

  it('refuses a locale or preferredLanguage that is no BCP 47 language tag and a timezone that is no IANA zone, naming each, writing nothing', async () => {
    const id = await addUser(t, acme, { userName: 'mars' });
    const res = await api(t, acme).patch(`/users/${id}`, { locale: 'xx_YY_zz!!', timezone: 'Mars/Olympus', preferredLanguage: 'klingon' }).expect(400);
    const problems = problemsOf(res.body);
    assert.deepEqual(problems.map((p) => p.field).sort(), ['locale', 'preferredLanguage', 'timezone']);
    for (const p of problems) {
      if (p.field === 'timezone') assert.match(p.reason, /IANA time zone/);
      else assert.match(p.reason, /BCP 47 language tag/);
    }
    assert.deepEqual(await auditActions(t, id), ['user.created']);
    for (const bad of [{ locale: 'en US' }, { preferredLanguage: 'English' }, { locale: 'e' }, { timezone: 'EST' }, { timezone: 'america/new_york' }, { timezone: '+01:00' }]) {
      const refused = await api(t, acme).patch(`/users/${id}`, bad).expect(400);
      assert.deepEqual(problemsOf(refused.body).map((p) => p.field), Object.keys(bad), JSON.stringify(bad));
    }
  });

  it('takes the language tags and zones IdPs send: en-US and Okta’s en_US, fr, zh-Hant-TW, es-419; UTC, Etc/UTC, and current and older zone names', async () => {
    const id = await addUser(t, acme, { userName: 'tags' });
    for (const tag of ['en-US', 'en_US', 'fr', 'zh-Hant-TW', 'es-419', 'de-CH-1996']) {
      const res = await api(t, acme).patch(`/users/${id}`, { locale: tag, preferredLanguage: tag }).expect(200);
      assert.deepEqual([res.body.locale, res.body.preferredLanguage], [tag, tag]);
    }
    for (const zone of ['UTC', 'Etc/UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Calcutta', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires']) {
      assert.equal((await api(t, acme).patch(`/users/${id}`, { timezone: zone }).expect(200)).body.timezone, zone);
    }
  });

  it('keeps SCIM lenient: an IdP’s locale, preferredLanguage and timezone are stored as sent, and the admin API shows them', async () => {
    const res = await request(t.app).post('/scim/v2/Users').set(auth(acme.tokens.scim)).set('Content-Type', 'application/scim+json')
      .send({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'idp@acme.test', name: { givenName: 'Idp', familyName: 'User' },
        locale: 'en_US', preferredLanguage: 'English', timezone: 'Eastern Standard Time',
      })
      .expect(201);
    const user = (await api(t, acme).get(`/users/${res.body.id}`).expect(200)).body;
    assert.deepEqual([user.locale, user.preferredLanguage, user.timezone], ['en_US', 'English', 'Eastern Standard Time']);
  });

  describe('phone', () => {
    it('refuses text that is no phone number with a 400 naming phone, writing nothing', async () => {
      const id = await addUser(t, acme, { userName: 'nophone' });
      for (const phone of ['abc', '12345', 'call me', '+49 30 1234567 or 8', '555-1234 ext']) {
        const res = await api(t, acme).patch(`/users/${id}`, { phone }).expect(400);
        const problems = problemsOf(res.body);
        assert.deepEqual(problems.map((p) => p.field), ['phone'], phone);
        assert.match(problems[0]!.reason, /phone number/);
      }
      assert.deepEqual(await auditActions(t, id), ['user.created']);
    });

    it('takes numbers as people type them: country codes, brackets, slashes, dots and extensions', async () => {
      const id = await addUser(t, acme, { userName: 'phones' });
      for (const phone of ['+49 30 1234567', '(555) 123-4567', '030/1234567', '+1 555.123.4567', '+44 20 7946 0958 ext. 12', '555-1234 x12', '+33 1 23 45 67 89 #4', '+4930123456']) {
        assert.equal((await api(t, acme).patch(`/users/${id}`, { phone }).expect(200)).body.phone, phone);
      }
    });
  });
});
