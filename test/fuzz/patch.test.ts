import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch, parsePatchRequest, type PatchOp, type ScimObject } from '../../src/scim/patch/index.ts';
import { groupResourceType, userResourceType } from '../../src/scim/schema/registry.ts';
import type { TestApp } from '../support/app.ts';
import { seedOrg } from '../support/app.ts';
import { assertScimError, createScimTestApp, PATCH_SCHEMA, postGroup, postUser, scimRequest } from '../support/scim.ts';
import { check } from './support.ts';

/**
 * Issue 9, hostile input: the PATCH engine (RFC 7644 §3.5.2) gets random operation lists
 * against random resources. The pure engine answers a resource or a typed SCIM error and
 * never mutates its input; over HTTP a refused PATCH changes nothing (same ETag, same body).
 */

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const scimTypes = new Set(['invalidSyntax', 'invalidPath', 'invalidFilter', 'noTarget', 'invalidValue', 'mutability', 'uniqueness']);

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', 'work', 'home', 'True', 'False', '\u0000'));
const email = fc.record({ value: fc.oneof(fc.emailAddress(), text), type: fc.oneof(fc.constantFrom('work', 'home', 'other'), text), primary: fc.oneof(fc.boolean(), fc.constantFrom('True', 'false')) }, { requiredKeys: [] });
const knownPaths = [
  'userName', 'displayName', 'title', 'active', 'name', 'name.givenName', 'name.familyName', 'emails', 'emails.value',
  'emails[type eq "work"]', 'emails[type eq "work"].value', 'emails[primary eq true].type', 'phoneNumbers', 'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].locality', 'roles', 'externalId', 'id', 'meta', 'meta.created', 'groups', 'password', 'schemas',
  `${ENTERPRISE}:department`, `${ENTERPRISE}:manager`, `${ENTERPRISE}:manager.value`, ENTERPRISE, `${CORE_USER}:userName`,
  'members', 'members[value eq "x"]', 'members.value', 'emails[type eq "work" and value co "@"].primary', 'emails[value ew "]"]',
];
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...knownPaths) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z]{1,8}(\[[a-z]{1,5} (eq|co|pr|xx) ?"?[a-z"\\]{0,5}\])?(\.[a-zA-Z$]{1,6})?$/) },
);
const value = fc.oneof(
  text,
  fc.boolean(),
  fc.constantFrom(null, 0, -1, 1e308, [], {}),
  fc.array(email, { maxLength: 3 }),
  fc.record({ givenName: text, familyName: text, formatted: text }, { requiredKeys: [] }),
  fc.record({ userName: text, displayName: text, active: fc.oneof(fc.boolean(), text), emails: fc.array(email, { maxLength: 2 }), [ENTERPRISE]: fc.record({ department: text }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  fc.array(fc.record({ value: fc.oneof(fc.uuid(), text), display: text }, { requiredKeys: [] }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const op = fc.record(
  { op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'REMOVE', 'move', ''), path, value },
  { requiredKeys: ['op'] },
) as fc.Arbitrary<PatchOp>;
const ops = fc.array(op, { minLength: 1, maxLength: 6 });

const user = fc.record({
  id: fc.uuid(),
  userName: fc.emailAddress(),
  displayName: text,
  active: fc.boolean(),
  name: fc.record({ givenName: text, familyName: text }, { requiredKeys: [] }),
  emails: fc.array(email, { maxLength: 3 }),
  [ENTERPRISE]: fc.record({ department: text, employeeNumber: text }, { requiredKeys: [] }),
}, { requiredKeys: ['id', 'userName'] }) as fc.Arbitrary<ScimObject>;
const group = fc.record({ id: fc.uuid(), displayName: text, members: fc.array(fc.record({ value: fc.uuid(), display: text }, { requiredKeys: ['value'] }), { maxLength: 4 }) }) as fc.Arbitrary<ScimObject>;

describe('fuzz: SCIM PATCH engine', () => {
  it('answers random operations on random resources with a resource or a typed error, never mutating the input', async () => {
    // The resource type is picked by name, so a counterexample prints the resource, not the registry.
    const target = fc.oneof(user.map((resource) => ({ kind: 'User', resource })), group.map((resource) => ({ kind: 'Group', resource })));
    await check('patch apply (pure)', fc.property(target, ops, ({ kind, resource }, list) => {
      const before = JSON.stringify(resource);
      const outcome = applyPatch(resource, list, kind === 'User' ? userResourceType : groupResourceType);
      assert.equal(JSON.stringify(resource), before, 'applyPatch mutated its input');
      if (!outcome.ok) {
        assert.ok(scimTypes.has(outcome.code), outcome.code);
        assert.match(outcome.detail, /^Operations\[\d+\]: ./);
      }
    }), 7001, 1000);
  });

  it('validates any JSON body into operations or invalidSyntax/invalidValue, never throwing', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ schemas: fc.oneof(fc.constant([PATCH_SCHEMA]), fc.jsonValue()), Operations: fc.oneof(fc.array(fc.oneof(op, fc.jsonValue({ maxDepth: 2 }))), fc.jsonValue()) }, { requiredKeys: [] }),
    );
    await check('patch request (pure)', fc.property(body, (raw) => {
      const parsed = parsePatchRequest(raw);
      if (!parsed.ok) assert.ok(parsed.code === 'invalidSyntax' || parsed.code === 'invalidValue', parsed.code);
    }), 7002, 1000);
  });

  describe('over HTTP, on the real database', () => {
    let t: TestApp;
    let token: string;
    let userId: string;
    let groupId: string;
    const memberIds: string[] = [];

    before(async () => {
      t = await createScimTestApp();
      token = (await seedOrg(t.container, 'acme')).tokens.scim;
      userId = String((await postUser(t, token, 'ann@example.com')).id);
      await postUser(t, token, 'taken@example.com');
      for (const name of ['m1', 'm2', 'm3']) memberIds.push(String((await postUser(t, token, `${name}@example.com`)).id));
      groupId = String((await postGroup(t, token, 'Staff', memberIds.slice(0, 1))).id);
    });
    after(() => t.close());

    /** GET the resource: its ETag and body, the state a refused PATCH must leave alone. */
    async function snapshot(path: string): Promise<{ etag: string; body: unknown }> {
      const res = await scimRequest(t, token, 'get', path);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { etag: String(res.headers.etag), body: res.body };
    }

    const memberValue = fc.oneof(fc.constantFrom(...['0', '1', '2'].map(Number)).map((i) => ({ value: memberIds[i] ?? '' })), fc.record({ value: fc.oneof(fc.uuid(), text) }));
    const groupOp = fc.oneof(
      op,
      fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'Add', 'Remove'), path: fc.constantFrom('members', 'displayName', 'members[value eq "x"]'), value: fc.oneof(fc.array(memberValue, { maxLength: 4 }), text) }) as fc.Arbitrary<PatchOp>,
    );

    for (const kind of ['Users', 'Groups'] as const) {
      it(`leaves a ${kind === 'Users' ? 'user' : 'group'} unchanged (ETag and body) whenever a random PATCH is refused, and never answers 5xx`, async () => {
        const path = () => `/${kind}/${kind === 'Users' ? userId : groupId}`;
        const list = kind === 'Users' ? ops : fc.array(groupOp, { minLength: 1, maxLength: 5 });
        const ifMatch = fc.constantFrom('none', 'current', 'stale', 'garbage');
        let refused = 0;
        await check(`patch ${kind} (HTTP)`, fc.asyncProperty(list, ifMatch, async (operations, match) => {
          const before = await snapshot(path());
          const headers: Record<string, string> = {};
          if (match === 'current') headers['If-Match'] = before.etag;
          if (match === 'stale') headers['If-Match'] = 'W/"1"';
          if (match === 'garbage') headers['If-Match'] = '"not-a-version"';
          const res = await scimRequest(t, token, 'patch', path(), { schemas: [PATCH_SCHEMA], Operations: operations }, headers);
          assert.ok(res.status < 500, `${res.status} ${JSON.stringify(res.body)} for ${JSON.stringify(operations)}`);
          if (res.status >= 400) {
            refused++;
            assertScimError(res, res.status);
            if (res.body.scimType !== undefined) assert.ok(scimTypes.has(res.body.scimType), res.body.scimType);
            const after = await snapshot(path());
            assert.equal(after.etag, before.etag, `ETag moved after a ${res.status}: ${res.body.detail}`);
            assert.deepEqual(after.body, before.body, `resource changed after a ${res.status}: ${res.body.detail}`);
          } else {
            assert.equal(res.status, 200, JSON.stringify(res.body));
          }
        }), kind === 'Users' ? 7003 : 7004, 80);
        // The generators must reach the refusal path often, or the property proves little.
        assert.ok(refused > 15, `only ${refused} refused PATCHes`);
      });
    }
  });
});
