import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parse } from 'scim2-parse-filter';
import { maxFilterLength } from '../../../src/scim/filter/parse.ts';
import { applyPatch, parsePatchRequest, type ScimObject } from '../../../src/scim/patch/index.ts';
import { groupResourceType, userResourceType } from '../../../src/scim/schema/registry.ts';
import type { ResourceTypeDef } from '../../../src/scim/schema/types.ts';
import {
  entraBooleanString,
  entraManagerId,
  entraMemberRemoveByValue,
  entraMissingTypedElement,
  entraOpCase,
  entraPathKeys,
  oktaRenameId,
} from '../../../src/scim/vendor-quirks.ts';

const SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const MANAGER_ID = '26118915-6090-4610-87e4-49d8ca9f808d';

const user: ScimObject = { id: 'u1', userName: 'jyoung@example.com', active: true, name: { givenName: 'Jo', familyName: 'Young' } };
const group: ScimObject = { id: 'g1', displayName: 'Staff', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] };

/** A whole request body, exactly as the IdP sends it, through parse and apply. */
function send(before: ScimObject, body: unknown, type: ResourceTypeDef = userResourceType) {
  const parsed = parsePatchRequest(body);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  return applyPatch(before, parsed.value, type);
}

function body(...ops: unknown[]) {
  return { schemas: [SCHEMA], Operations: ops };
}

interface Transcript {
  it: string;
  before: ScimObject;
  type?: ResourceTypeDef;
  body: unknown;
  after?: ScimObject;
  changed?: boolean;
  error?: string;
}

const transcripts: Transcript[] = [
  // Microsoft Entra ID
  {
    it: 'deactivates when Entra sends active as the string "False"',
    before: user,
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    after: { ...user, active: false },
  },
  {
    it: 'reactivates when Entra sends "TRUE" in another case',
    before: { ...user, active: false },
    body: body({ op: 'Replace', path: 'active', value: 'TRUE' }),
    after: user,
  },
  {
    it: 'creates the work email when Entra adds emails[type eq "work"].value to a user without one',
    before: user,
    body: body({ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.z' }),
    after: { ...user, emails: [{ type: 'work', value: 'x@y.z' }] },
  },
  {
    it: 'updates the existing work email when Entra replaces emails[type eq "work"].value',
    before: { ...user, emails: [{ type: 'work', value: 'old@y.z', primary: true }, { type: 'home', value: 'h@y.z' }] },
    body: body({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'x@y.z' }),
    after: { ...user, emails: [{ type: 'work', value: 'x@y.z', primary: true }, { type: 'home', value: 'h@y.z' }] },
  },
  {
    it: 'creates the work address when Entra replaces addresses[type eq "work"].locality for a user without one',
    before: user,
    body: body({ op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'Redmond' }),
    after: { ...user, addresses: [{ type: 'work', locality: 'Redmond' }] },
  },
  {
    it: 'creates the mobile number when Entra replaces phoneNumbers[type eq "mobile"].value',
    before: { ...user, phoneNumbers: [{ type: 'work', value: '+1 111' }] },
    body: body({ op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' }),
    after: { ...user, phoneNumbers: [{ type: 'work', value: '+1 111' }, { type: 'mobile', value: '+1 555' }] },
  },
  {
    it: 'makes the work email primary, and only it, when Entra sends primary "True" by filtered path',
    before: { ...user, emails: [{ type: 'home', value: 'h@y.z', primary: true }, { type: 'work', value: 'w@y.z' }] },
    body: body({ op: 'Add', path: 'emails[type eq "work"].primary', value: 'True' }),
    after: { ...user, emails: [{ type: 'home', value: 'h@y.z' }, { type: 'work', value: 'w@y.z', primary: true }] },
  },
  {
    it: 'converts "True"/"False" strings nested inside path-less values',
    before: user,
    body: body({ op: 'Add', value: { active: 'false', emails: [{ value: 'a@b.c', type: 'work', primary: 'True' }] } }),
    after: { ...user, active: false, emails: [{ value: 'a@b.c', type: 'work', primary: true }] },
  },
  {
    it: 'splits a path-less Entra replace with dotted, filtered and URN-prefixed keys into paths',
    before: user,
    body: body({
      op: 'Replace',
      value: {
        displayName: 'Jo Young',
        'name.givenName': 'Joanne',
        'emails[type eq "work"].value': 'jo@y.z',
        [`${ENT}:department`]: 'Finance',
      },
    }),
    after: { ...user, displayName: 'Jo Young', name: { givenName: 'Joanne', familyName: 'Young' }, emails: [{ type: 'work', value: 'jo@y.z' }], [ENT]: { department: 'Finance' } },
  },
  {
    it: 'writes the enterprise employeeNumber Entra sends with a URN-prefixed path',
    before: user,
    body: body({ op: 'Add', path: `${ENT}:employeeNumber`, value: '701984' }),
    after: { ...user, [ENT]: { employeeNumber: '701984' } },
  },
  {
    it: 'wraps the manager id Entra sends as a plain string into {value}',
    before: user,
    body: body({ op: 'Replace', path: `${ENT}:manager`, value: MANAGER_ID }),
    after: { ...user, [ENT]: { manager: { value: MANAGER_ID } } },
  },
  {
    it: "takes the one element of Entra's documented list [{$ref, value}] on path manager as the manager",
    before: user,
    body: body({ op: 'Add', path: 'manager', value: [{ $ref: `https://app.example/scim/Users/${MANAGER_ID}`, value: MANAGER_ID }] }),
    after: { ...user, [ENT]: { manager: { value: MANAGER_ID, $ref: `https://app.example/scim/Users/${MANAGER_ID}` } } },
  },
  {
    it: 'wraps a plain-string manager inside a path-less extension object',
    before: { ...user, [ENT]: { manager: { value: 'old' } } },
    body: body({ op: 'Replace', value: { [ENT]: { manager: MANAGER_ID } } }),
    after: { ...user, [ENT]: { manager: { value: MANAGER_ID } } },
  },
  {
    it: 'wraps a plain-string manager when the path is the extension URN',
    before: user,
    body: body({ op: 'Add', path: ENT, value: { manager: MANAGER_ID, department: 'D' } }),
    after: { ...user, [ENT]: { manager: { value: MANAGER_ID }, department: 'D' } },
  },
  {
    it: 'removes one email when Entra removes emails with a value array',
    before: { ...user, emails: [{ type: 'work', value: 'w@y.z' }, { type: 'home', value: 'h@y.z' }] },
    body: body({ op: 'Remove', path: 'emails', value: [{ value: 'H@y.z' }] }),
    after: { ...user, emails: [{ type: 'work', value: 'w@y.z' }] },
  },
  {
    it: 'removes the manager when Entra removes the URN-prefixed manager path',
    before: { ...user, [ENT]: { department: 'X', manager: { value: MANAGER_ID } } },
    body: body({ op: 'Remove', path: `${ENT}:manager` }),
    after: { ...user, [ENT]: { department: 'X' } },
  },
  {
    it: 'adds the members Entra lists in an Add on members',
    before: group,
    type: groupResourceType,
    body: body({ op: 'Add', path: 'members', value: [{ value: 'u4' }] }),
    after: { ...group, members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }, { value: 'u4' }] },
  },
  {
    it: 'removes only the listed members when Entra sends remove with a value array',
    before: group,
    type: groupResourceType,
    body: body({ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u3' }] }),
    after: { ...group, members: [{ value: 'u2' }] },
  },
  {
    it: 'changes nothing when Entra removes by value a member who is not in the group',
    before: group,
    type: groupResourceType,
    body: body({ op: 'Remove', path: 'members', value: [{ value: 'u9' }] }),
    after: group,
    changed: false,
  },
  {
    it: 'refuses a remove on members whose value elements carry no "value", rather than emptying the group',
    before: group,
    type: groupResourceType,
    body: body({ op: 'Remove', path: 'members', value: [{ display: 'Bob' }] }),
    error: 'invalidValue',
  },
  // Okta
  {
    it: 'deactivates on Okta\'s path-less replace {"active": false}',
    before: user,
    body: body({ op: 'replace', value: { active: false } }),
    after: { ...user, active: false },
  },
  {
    it: 'renames a group on Okta\'s path-less replace that repeats the group id',
    before: group,
    type: groupResourceType,
    body: body({ op: 'replace', value: { id: 'g1', displayName: 'Everyone' } }),
    after: { ...group, displayName: 'Everyone' },
  },
  {
    it: 'refuses an Okta-style rename that carries a different id',
    before: group,
    type: groupResourceType,
    body: body({ op: 'replace', value: { id: 'g2', displayName: 'Everyone' } }),
    error: 'mutability',
  },
  {
    // Microsoft's SingleAppRoleAssignment guide maps the app role to roles[primary eq "True"].value.
    it: 'replaces the primary role\'s value on Entra\'s roles[primary eq "True"].value (a boolean compared with "True")',
    before: { ...user, roles: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' }, { primary: false, value: 'Viewer' }] },
    body: body({ op: 'Add', path: 'roles[primary eq "True"].value', value: 'Admin' }),
    after: { ...user, roles: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }, { primary: false, value: 'Viewer' }] },
  },
  {
    it: 'creates the primary role on Entra\'s roles[primary eq "True"].value for a user with no roles',
    before: user,
    body: body({ op: 'Add', path: 'roles[primary eq "True"].value', value: 'Admin' }),
    after: { ...user, roles: [{ primary: true, value: 'Admin' }] },
  },
  {
    it: 'answers noTarget for roles[primary eq "False"].value on a user with no roles (no element to seed)',
    before: user,
    body: body({ op: 'Replace', path: 'roles[primary eq "False"].value', value: 'Admin' }),
    error: 'noTarget',
  },
  {
    it: 'removes one member on Okta\'s members[value eq "id"] remove with no value',
    before: group,
    type: groupResourceType,
    body: body({ op: 'remove', path: 'members[value eq "u2"]' }),
    after: { ...group, members: [{ value: 'u1' }, { value: 'u3' }] },
  },
  {
    it: 'adds members on Okta\'s add with path members and a value array',
    before: { id: 'g1', displayName: 'Staff' },
    type: groupResourceType,
    body: body({ op: 'add', path: 'members', value: [{ value: 'u5', display: 'eve@example.com' }] }),
    after: { id: 'g1', displayName: 'Staff', members: [{ value: 'u5' }] },
  },
];

describe('vendor quirks: IdP transcripts through parsePatchRequest and applyPatch', () => {
  for (const t of transcripts) {
    it(t.it, () => {
      const result = send(t.before, t.body, t.type);
      if (t.error) {
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.code, t.error, result.detail);
        return;
      }
      assert.ok(result.ok, result.ok ? '' : `${result.code}: ${result.detail}`);
      assert.deepEqual(result.value.resource, t.after);
      assert.equal(result.value.changed, t.changed ?? true);
    });
  }
});

describe('vendor quirks: each rule on its own', () => {
  it('entraOpCase accepts add/replace/remove in any case and nothing else', () => {
    assert.deepEqual(['Replace', 'ADD', 'remove', 'move'].map(entraOpCase), ['replace', 'add', 'remove', undefined]);
  });

  it('entraBooleanString turns only "true"/"false" strings into booleans', () => {
    assert.deepEqual(['True', 'FALSE', 'yes', true, 1].map(entraBooleanString), [true, false, 'yes', true, 1]);
  });

  it('entraPathKeys leaves the RFC extension form and plain keys in one operation', () => {
    const op = { op: 'replace' as const, value: { [ENT]: { department: 'X' }, title: 'T' } };
    assert.deepEqual(entraPathKeys(op, userResourceType), [op]);
  });

  it('entraPathKeys moves path-like keys into their own operations after the plain ones', () => {
    const op = { op: 'add' as const, value: { 'name.familyName': 'Y', title: 'T' } };
    assert.deepEqual(entraPathKeys(op, userResourceType), [
      { op: 'add', value: { title: 'T' } },
      { op: 'add', path: 'name.familyName', value: 'Y' },
    ]);
  });

  it('entraManagerId leaves a manager that is already complex alone', () => {
    const op = { op: 'replace' as const, path: `${ENT}:manager`, value: { value: MANAGER_ID } };
    assert.equal(entraManagerId(op), op);
  });

  it('oktaRenameId drops an operation that only repeats the id', () => {
    assert.equal(oktaRenameId({ op: 'replace', value: { id: 'g1' } }, group), undefined);
    assert.equal(oktaRenameId({ op: 'replace', path: 'id', value: 'g1' }, group), undefined);
  });

  it('entraMemberRemoveByValue turns a value array into a value filter, quoting as JSON', () => {
    assert.deepEqual(entraMemberRemoveByValue({ op: 'remove', path: 'members', value: [{ value: 'a"b' }, { value: 'c' }] }), [
      { op: 'remove', path: 'members[value eq "a\\"b" or value eq "c"]' },
    ]);
    assert.deepEqual(entraMemberRemoveByValue({ op: 'remove', path: 'members', value: [] }), []);
  });

  it('entraMemberRemoveByValue removes a value list longer than one filter may be (maxFilterLength) in several operations', () => {
    // Entra batches membership changes: 200 object ids make a filter of about 10 000 characters.
    const ids = Array.from({ length: 300 }, () => randomUUID());
    const big: ScimObject = { id: 'g1', displayName: 'Staff', members: ids.map((value) => ({ value })) };
    const ops = entraMemberRemoveByValue({ op: 'remove', path: 'members', value: ids.slice(0, 200).map((value) => ({ value })) });
    assert.ok(ops.length > 1);
    for (const op of ops) assert.ok(op.path!.length <= maxFilterLength + 'members[]'.length, `${op.path!.length} characters`);
    const result = send(big, body({ op: 'Remove', path: 'members', value: ids.slice(0, 200).map((value) => ({ value })) }), groupResourceType);
    assert.ok(result.ok, result.ok ? '' : `${result.code}: ${result.detail}`);
    assert.deepEqual(result.value.resource.members, ids.slice(200).map((value) => ({ value })));
  });

  it('entraMissingTypedElement seeds only for a plain `type eq "X"` filter', () => {
    assert.deepEqual(entraMissingTypedElement(parse('type eq "work"')), { type: 'work' });
    assert.equal(entraMissingTypedElement(parse('type eq "work" and value pr')), undefined);
    assert.equal(entraMissingTypedElement(parse('value eq "work"')), undefined);
  });

  it('entraMissingTypedElement seeds a primary element for `primary eq true`, also written "True"', () => {
    assert.deepEqual(entraMissingTypedElement(parse('primary eq "True"')), { primary: true });
    assert.deepEqual(entraMissingTypedElement(parse('primary eq true')), { primary: true });
    assert.equal(entraMissingTypedElement(parse('primary eq "False"')), undefined);
  });
});
