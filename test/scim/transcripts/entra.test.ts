import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import {
  assertErrorBody,
  assertListResponse,
  assertScimJson,
  assertSingleResource,
  ENTERPRISE,
  entra,
  entraWithAgent,
  filterQuery,
  GROUP_SCHEMA,
  memberIds,
  USER_SCHEMA,
  VendorClient,
} from './vendor-client.ts';
import { sql } from '../../support/scim.ts';

/**
 * Microsoft Entra ID provisioning, as Microsoft's "Develop a SCIM endpoint" tutorial, its
 * "Known issues … SCIM 2.0 protocol compliance" page and IDP-NOTES §1.3 describe it. Requests go
 * without a User-Agent (as Entra has been seen sending) unless a test says otherwise. The `it`s
 * run in order and share state, like a provisioning cycle.
 */

/** Microsoft's create-user request, with the enterprise extension Entra maps by default. */
function entraUser(userName: string, externalId: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId,
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    roles: [],
    ...extra,
  };
}

describe('Microsoft Entra ID transcript', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let client: VendorClient;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    client = new VendorClient(t.app, acme.tokens.scim, entra);
  });
  after(() => t.close());

  describe('discovery (the SCIM validator reads it first)', () => {
    it('serves /ServiceProviderConfig with patch and filter supported', async () => {
      const res = await client.get('/ServiceProviderConfig');
      assert.equal(res.status, 200);
      assertScimJson(res);
      assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      assert.equal(res.body.patch.supported, true);
      assert.equal(res.body.filter.supported, true);
      assert.equal(typeof res.body.filter.maxResults, 'number');
      assert.ok(res.body.authenticationSchemes.length > 0);
    });

    it('serves /Schemas with the core User, Group and enterprise User schemas', async () => {
      const res = await client.get('/Schemas');
      assertListResponse(res);
      const ids = res.body.Resources.map((s: { id: string }) => s.id);
      for (const id of [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE]) assert.ok(ids.includes(id), `${id} in /Schemas`);
      const user = res.body.Resources.find((s: { id: string }) => s.id === USER_SCHEMA);
      assert.ok(user.attributes.some((a: { name: string }) => a.name === 'userName'));
    });

    it('serves /ResourceTypes with User (enterprise extension) and Group', async () => {
      const res = await client.get('/ResourceTypes');
      assertListResponse(res);
      const user = res.body.Resources.find((r: { name: string }) => r.name === 'User');
      const group = res.body.Resources.find((r: { name: string }) => r.name === 'Group');
      assert.equal(user.endpoint, '/Users');
      assert.equal(user.schema, USER_SCHEMA);
      assert.ok(user.schemaExtensions.some((e: { schema: string }) => e.schema === ENTERPRISE));
      assert.equal(group.endpoint, '/Groups');
    });
  });

  describe('test connection', () => {
    it('answers a random userName filter sent with no User-Agent with 200 and zero results', async () => {
      const res = await client.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources ?? [], []);
    });

    it('answers a random externalId filter with 200 and zero results', async () => {
      const res = await client.get(`/Users?${filterQuery(`externalId eq "${randomUUID()}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
    });

    it('answers the same probe sent with a User-Agent identically', async () => {
      const withAgent = new VendorClient(t.app, acme.tokens.scim, entraWithAgent);
      const res = await withAgent.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
    });

    it('answers a bad secret token with a SCIM 401, not an HTML page', async () => {
      const res = await client.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`, 'expired-secret-token');
      assertErrorBody(res, 401);
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
    });
    it('says to drop the trailing slash when the Tenant URL ends with one (Entra then asks for //Users)', async () => {
      const res = await client.get(`//Users?${filterQuery(`userName eq "${randomUUID()}"`)}`);
      assertErrorBody(res, 404);
      assert.match(res.body.detail, /Tenant URL/);
      assert.match(res.body.detail, /ends with a slash/);
    });

    it('tells an admin who pasted the admin token as Secret Token that SCIM takes a scim token', async () => {
      // README "First steps" creates the admin token first: Entra's Test Connection shows this detail.
      const res = await client.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`, acme.tokens.admin);
      assertErrorBody(res, 401);
      assert.match(res.body.detail, /admin token/);
      assert.match(res.body.detail, /gatehouse token create --org acme --scope scim/);
    });
  });

  describe('user provisioning', () => {
    const objectId = randomUUID();
    const userName = 'Test_User_ab6490ee@contoso.example';
    let managerId: string;
    let id: string;
    let jyoung: string;

    before(async () => {
      const manager = await client.post('/Users', entraUser('john.smith@contoso.example', randomUUID(), { name: { givenName: 'John', familyName: 'Smith' } })).expect(201);
      managerId = manager.body.id;
    });

    it('matches on externalId before creating and finds nobody', async () => {
      const res = await client.get(`/Users?${filterQuery(`externalId eq "${objectId}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
    });

    it('creates a user with the enterprise extension (employeeNumber, department, manager)', async () => {
      const res = await client.post(
        '/Users',
        entraUser(userName, objectId, {
          [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', costCenter: '4130', manager: { value: managerId } },
        }),
      );
      assertSingleResource(res, 201, 'User');
      assert.equal(res.body.userName, userName);
      assert.equal(res.body.externalId, objectId);
      assert.equal(res.body.active, true);
      assert.ok(res.body.schemas.includes(ENTERPRISE));
      const ext = res.body[ENTERPRISE];
      assert.equal(ext.employeeNumber, '701984');
      assert.equal(ext.department, 'Tour Operations');
      assert.equal(ext.costCenter, '4130');
      assert.equal(ext.manager.value, managerId);
      id = res.body.id;
    });

    it('records the create in the audit trail with no User-Agent, as Entra sent none', async () => {
      const events = await t.container.fork().find(AuditEvent, { targetId: id });
      assert.ok(events.length > 0, 'an audit event for the created user');
      for (const event of events) {
        assert.equal(event.actorType, 'scim_token');
        assert.equal(event.userAgent, null);
      }
    });

    it('finds the created user by externalId eq "<object id>"', async () => {
      const res = await client.get(`/Users?${filterQuery(`externalId eq "${objectId}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, id);
    });

    it('finds the created user by userName in another case', async () => {
      const res = await client.get(`/Users?${filterQuery(`userName eq "${userName.toLowerCase()}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, id);
    });

    it('finds a user by Microsoft\'s unquoted externalId eq jyoung', async () => {
      const created = await client.post('/Users', entraUser('jyoung@contoso.example', 'jyoung')).expect(201);
      jyoung = created.body.id;
      const res = await client.get(`/Users?${filterQuery('externalId eq jyoung')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, jyoung);
    });

    it('finds a user by emails[type eq "work"].value eq "…"', async () => {
      const res = await client.get(`/Users?${filterQuery('emails[type eq "work"].value eq "jyoung@contoso.example"')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, jyoung);
    });

    it('answers a duplicate create (same userName, new object id) with 409 uniqueness', async () => {
      const res = await client.post('/Users', entraUser(userName, randomUUID()));
      assertErrorBody(res, 409);
      assert.equal(res.body.scimType, 'uniqueness');
    });

    it('applies capitalised "Replace" ops on emails[type eq "work"].value and name.familyName', async () => {
      const res = await client.patch(`/Users/${id}`, [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@contoso.example' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.emails.length, 1);
      assert.equal(res.body.emails[0].value, 'updatedEmail@contoso.example');
      assert.equal(res.body.emails[0].type, 'work');
      assert.equal(res.body.name.familyName, 'updatedFamilyName');
      assert.equal(res.body.name.givenName, 'givenName');
    });

    it('applies a path-less "Replace" whose value has dotted and filtered keys', async () => {
      const res = await client.patch(`/Users/${id}`, [
        {
          op: 'Replace',
          value: {
            displayName: 'Pat Doe',
            'name.givenName': 'Pat',
            'emails[type eq "work"].value': 'pat.doe@contoso.example',
            [`${ENTERPRISE}:department`]: 'Finance',
          },
        },
      ]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.displayName, 'Pat Doe');
      assert.equal(res.body.name.givenName, 'Pat');
      assert.equal(res.body.name.familyName, 'updatedFamilyName');
      assert.deepEqual(res.body.emails.map((e: { value: string }) => e.value), ['pat.doe@contoso.example']);
      assert.equal(res.body[ENTERPRISE].department, 'Finance');
      assert.equal(res.body[ENTERPRISE].employeeNumber, '701984');
      assert.equal('name.givenName' in res.body, false);
    });

    it('applies "Add" on emails[type eq "work"].value of a user who has a work email by replacing the value, not appending', async () => {
      const res = await client.patch(`/Users/${id}`, [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'pat@contoso.example' }]);
      assertSingleResource(res, 200, 'User');
      assert.deepEqual(res.body.emails.map((e: { value: string; type: string }) => [e.type, e.value]), [['work', 'pat@contoso.example']]);
    });

    it('finds a user by an unquoted userName eq value', async () => {
      const res = await client.get(`/Users?${filterQuery('userName eq jyoung@contoso.example')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, jyoung);
    });

    it('adds a work address locality and a mobile number to a user who had neither', async () => {
      const before = await client.get(`/Users/${jyoung}`).expect(200);
      assert.equal(before.body.addresses, undefined);
      assert.equal(before.body.phoneNumbers, undefined);
      const res = await client.patch(`/Users/${jyoung}`, [
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Redmond' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425 555 0100' },
      ]);
      assertSingleResource(res, 200, 'User');
      assert.deepEqual(res.body.addresses, [{ type: 'work', locality: 'Redmond' }]);
      assert.deepEqual(res.body.phoneNumbers, [{ type: 'mobile', value: '+1 425 555 0100' }]);
      const read = await client.get(`/Users/${jyoung}`).expect(200);
      assert.deepEqual(read.body.addresses, [{ type: 'work', locality: 'Redmond' }]);
      assert.deepEqual(read.body.phoneNumbers, [{ type: 'mobile', value: '+1 425 555 0100' }]);
    });

    it('replaces the work address locality and the mobile number once they exist', async () => {
      const res = await client.patch(`/Users/${jyoung}`, [
        { op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'Seattle' },
        { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 206 555 0199' },
      ]);
      assertSingleResource(res, 200, 'User');
      assert.deepEqual(res.body.addresses, [{ type: 'work', locality: 'Seattle' }]);
      assert.deepEqual(res.body.phoneNumbers, [{ type: 'mobile', value: '+1 206 555 0199' }]);
    });

    it('replaces a work email on a user who had none by creating the element', async () => {
      const bare = await client.post('/Users', { schemas: [USER_SCHEMA], userName: 'noemail@contoso.example', externalId: randomUUID(), active: true }).expect(201);
      const res = await client.patch(`/Users/${bare.body.id}`, [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'noemail@contoso.example' }]);
      assertSingleResource(res, 200, 'User');
      assert.deepEqual(res.body.emails, [{ type: 'work', value: 'noemail@contoso.example' }]);
    });

    it('removes the work email entry on Remove of emails[type eq "work"].value, and the profile email follows', async () => {
      // Before: {type: "work", primary: true} stayed in emails, an entry with no address.
      const both = entraUser('leaver@contoso.example', randomUUID(), { emails: [{ primary: true, type: 'work', value: 'leaver@contoso.example' }, { type: 'home', value: 'leaver@home.example' }] });
      const created = await client.post('/Users', both).expect(201);
      const res = await client.patch(`/Users/${created.body.id}`, [{ op: 'Remove', path: 'emails[type eq "work"].value' }]);
      assertSingleResource(res, 200, 'User');
      assert.deepEqual(res.body.emails, [{ type: 'home', value: 'leaver@home.example' }]);
      assert.deepEqual(await sql(t, 'select email from users where id = ?', [created.body.id]), [{ email: 'leaver@home.example' }]);
      const last = await client.patch(`/Users/${created.body.id}`, [{ op: 'Remove', path: 'emails[type eq "home"].value' }]);
      assertSingleResource(last, 200, 'User');
      assert.equal(last.body.emails, undefined);
      assert.deepEqual(await sql(t, 'select email, emails from users where id = ?', [created.body.id]), [{ email: null, emails: [] }]);
    });

    it('removes the mobile number entry on Remove of phoneNumbers[type eq "mobile"].value, and the profile phone follows', async () => {
      const created = await client.post('/Users', entraUser('caller@contoso.example', randomUUID(), { phoneNumbers: [{ type: 'mobile', value: '+1 206 555 0100' }, { type: 'work', value: '+1 206 555 0111' }] })).expect(201);
      const res = await client.patch(`/Users/${created.body.id}`, [{ op: 'Remove', path: 'phoneNumbers[type eq "mobile"].value' }]);
      assertSingleResource(res, 200, 'User');
      assert.deepEqual(res.body.phoneNumbers, [{ type: 'work', value: '+1 206 555 0111' }]);
      assert.deepEqual(await sql(t, 'select phone from users where id = ?', [created.body.id]), [{ phone: '+1 206 555 0111' }]);
    });

    it('removes the work address on Remove of addresses[type eq "work"].locality when the locality was all it held', async () => {
      const created = await client.post('/Users', entraUser('mover@contoso.example', randomUUID(), { addresses: [{ type: 'work', locality: 'Seattle' }] })).expect(201);
      const res = await client.patch(`/Users/${created.body.id}`, [{ op: 'Remove', path: 'addresses[type eq "work"].locality' }]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.addresses, undefined);
    });

    it('writes the enterprise employeeNumber and a manager given as a plain id string by URN path', async () => {
      const res = await client.patch(`/Users/${jyoung}`, [
        { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '42' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: managerId },
      ]);
      assertSingleResource(res, 200, 'User');
      assert.ok(res.body.schemas.includes(ENTERPRISE));
      assert.equal(res.body[ENTERPRISE].employeeNumber, '42');
      assert.equal(res.body[ENTERPRISE].manager.value, managerId);
      const read = await client.get(`/Users/${jyoung}`).expect(200);
      assert.equal(read.body[ENTERPRISE].manager.value, managerId);
    });

    it('replaces the manager with another plain id string', async () => {
      const res = await client.patch(`/Users/${jyoung}`, [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: id }]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body[ENTERPRISE].manager.value, id);
    });

    it('removes the manager with a capitalised "Remove" on its URN path', async () => {
      const res = await client.patch(`/Users/${jyoung}`, [{ op: 'Remove', path: `${ENTERPRISE}:manager` }]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body[ENTERPRISE]?.manager, undefined);
      assert.equal(res.body[ENTERPRISE].employeeNumber, '42');
    });

    it('writes the app role on Microsoft\'s SingleAppRoleAssignment target roles[primary eq "True"].value', async () => {
      const created = await client.post('/Users', entraUser('approle@contoso.example', randomUUID(), { roles: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' }] }));
      assertSingleResource(created, 201, 'User');
      assert.deepEqual(created.body.roles, [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' }]);
      const changed = await client.patch(`/Users/${created.body.id}`, [{ op: 'Add', path: 'roles[primary eq "True"].value', value: 'Admin' }]);
      assertSingleResource(changed, 200, 'User');
      assert.deepEqual(changed.body.roles, [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }]);
      const none = await client.post('/Users', entraUser('norole@contoso.example', randomUUID())).expect(201);
      const first = await client.patch(`/Users/${none.body.id}`, [{ op: 'Replace', path: 'roles[primary eq "True"].value', value: 'Admin' }]);
      assertSingleResource(first, 200, 'User');
      assert.deepEqual(first.body.roles, [{ primary: true, value: 'Admin' }]);
    });

    it('answers the SCIM Validator\'s PATCH with an empty Operations list with 200 and changes nothing', async () => {
      const before = await client.get(`/Users/${id}`).expect(200);
      const res = await client.patch(`/Users/${id}`, []);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.meta.version, before.body.meta.version);
      assert.equal(res.body.meta.lastModified, before.body.meta.lastModified);
    });

    it('answers an unknown user id on PATCH with 404', async () => {
      const res = await client.patch(`/Users/${randomUUID()}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
      assertErrorBody(res, 404);
    });

    describe('soft delete and hard delete', () => {
      it('disables the user with active "False" (a string) and still returns it with active false', async () => {
        const res = await client.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
        assertSingleResource(res, 200, 'User');
        assert.equal(res.body.active, false);
        const read = await client.get(`/Users/${id}`);
        assertSingleResource(read, 200, 'User');
        assert.equal(read.body.active, false);
        assert.equal(read.body.userName, userName);
      });

      it('returns the disabled user, with active false, to a userName filter', async () => {
        const res = await client.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`);
        assertListResponse(res);
        assert.equal(res.body.totalResults, 1);
        assert.equal(res.body.Resources[0].active, false);
      });

      it('returns the disabled user to an externalId filter', async () => {
        const res = await client.get(`/Users?${filterQuery(`externalId eq "${objectId}"`)}`);
        assertListResponse(res);
        assert.equal(res.body.totalResults, 1);
        assert.equal(res.body.Resources[0].active, false);
      });

      it('returns only disabled users to the filter active eq false', async () => {
        const res = await client.get(`/Users?${filterQuery('active eq false')}`);
        assertListResponse(res);
        assert.deepEqual(res.body.Resources.map((u: { id: string }) => u.id), [id]);
        const enabled = await client.get(`/Users?${filterQuery('active eq true')}`).expect(200);
        assert.equal(enabled.body.Resources.some((u: { id: string }) => u.id === id), false);
      });

      it('combines userName and active with and', async () => {
        const res = await client.get(`/Users?${filterQuery(`userName eq "${userName}" and active eq false`)}`);
        assertListResponse(res);
        assert.equal(res.body.totalResults, 1);
      });

      it('accepts the compliant form too: "Replace" active with a JSON boolean', async () => {
        const on = await client.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: true }]).expect(200);
        assert.equal(on.body.active, true);
        const off = await client.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: false }]).expect(200);
        assert.equal(off.body.active, false);
      });

      it('re-enables the user with a path-less "Replace" whose active is "True"', async () => {
        const res = await client.patch(`/Users/${id}`, [{ op: 'Replace', value: { active: 'True' } }]);
        assertSingleResource(res, 200, 'User');
        assert.equal(res.body.active, true);
      });

      it('disables again with a lower-case replace and the string "false"', async () => {
        const res = await client.patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: 'false' }]);
        assertSingleResource(res, 200, 'User');
        assert.equal(res.body.active, false);
      });

      it('hard-deletes the user with DELETE: 204, then 404 and no longer listed', async () => {
        const res = await client.delete(`/Users/${id}`);
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assertErrorBody(await client.get(`/Users/${id}`), 404);
        const listed = await client.get(`/Users?${filterQuery(`externalId eq "${objectId}"`)}`).expect(200);
        assert.equal(listed.body.totalResults, 0);
      });

      it('answers a second DELETE of the same user with 404', async () => {
        assertErrorBody(await client.delete(`/Users/${id}`), 404);
      });
    });
  });

  describe('group provisioning', () => {
    const groupObjectId = randomUUID();
    const members: string[] = [];
    let outsider: string;
    let groupId: string;

    before(async () => {
      for (const name of ['alex', 'blake', 'casey', 'devon']) {
        const res = await client.post('/Users', entraUser(`${name}@contoso.example`, randomUUID())).expect(201);
        members.push(res.body.id);
      }
      outsider = members.pop()!;
    });

    it('finds no group by displayName with excludedAttributes=members before creating', async () => {
      const res = await client.get(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "Sales"')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
    });

    it('creates a group sent with Microsoft\'s extra ADSCIM schema URN and meta, with members', async () => {
      const res = await client.post('/Groups', {
        schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: groupObjectId,
        displayName: 'Sales',
        meta: { resourceType: 'Group' },
        members: members.map((value) => ({ value })),
      });
      assertSingleResource(res, 201, 'Group');
      assert.equal(res.body.displayName, 'Sales');
      assert.equal(res.body.externalId, groupObjectId);
      assert.deepEqual(memberIds(res.body), [...members].sort());
      groupId = res.body.id;
    });

    it('finds the group by displayName with excludedAttributes=members and returns no members', async () => {
      const res = await client.get(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "Sales"')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      const group = res.body.Resources[0];
      assert.equal(group.id, groupId);
      assert.equal(group.displayName, 'Sales');
      assert.equal('members' in group, false);
    });

    it('finds the group by externalId', async () => {
      const res = await client.get(`/Groups?${filterQuery(`externalId eq "${groupObjectId}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, groupId);
    });

    it('returns GET /Groups/{id}?excludedAttributes=members without members', async () => {
      const res = await client.get(`/Groups/${groupId}?excludedAttributes=members`);
      assertSingleResource(res, 200, 'Group');
      assert.equal(res.body.displayName, 'Sales');
      assert.equal('members' in res.body, false);
    });

    it('answers the membership check id eq "<g>" and members eq "<u>" with one result for a member', async () => {
      const res = await client.get(`/Groups?${filterQuery(`id eq "${groupId}" and members eq "${members[0]}"`)}&attributes=id`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, groupId);
      assert.equal('members' in res.body.Resources[0], false);
      assert.equal('displayName' in res.body.Resources[0], false);
    });

    it('answers the membership check with zero results for a user who is not a member', async () => {
      const res = await client.get(`/Groups?${filterQuery(`id eq "${groupId}" and members eq "${outsider}"`)}&attributes=id`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
    });

    it('adds a member with a capitalised "Add" on path members (value with a null $ref)', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: outsider }] }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(read.body), [...members, outsider].sort());
      const check = await client.get(`/Groups?${filterQuery(`id eq "${groupId}" and members eq "${outsider}"`)}&attributes=id`).expect(200);
      assert.equal(check.body.totalResults, 1);
    });

    it('adds a member who is already in the group without duplicating it', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'Add', path: 'members', value: [{ value: outsider }] }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.equal(read.body.members.length, 4);
    });

    it('removes only the listed member when "Remove" on path members carries a value array', async () => {
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.equal(read.body.members.length, 4);
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: outsider }] }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const after = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(after.body), [...members].sort());
    });

    it('removes one of three members with a value array and keeps the other two', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'Remove', path: 'members', value: [{ value: members[1] }] }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const after = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(after.body), [members[0]!, members[2]!].sort());
    });

    it('renames the group with a capitalised "Replace" on displayName', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const read = await client.get(`/Groups/${groupId}?excludedAttributes=members`).expect(200);
      assert.equal(read.body.displayName, 'Sales EMEA');
      const full = await client.get(`/Groups/${groupId}`).expect(200);
      assert.equal(full.body.members.length, 2);
    });

    it('no longer lists a hard-deleted user as a member', async () => {
      await client.delete(`/Users/${members[0]}`).expect(204);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(read.body), [members[2]!]);
      const check = await client.get(`/Groups?${filterQuery(`id eq "${groupId}" and members eq "${members[0]}"`)}&attributes=id`).expect(200);
      assert.equal(check.body.totalResults, 0);
    });

    it('deletes the group: 204, then 404', async () => {
      const res = await client.delete(`/Groups/${groupId}`);
      assert.equal(res.status, 204);
      assertErrorBody(await client.get(`/Groups/${groupId}`), 404);
    });
  });
});
