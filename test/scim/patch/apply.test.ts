import assert from 'node:assert/strict';
import { applyPatch, parsePatchRequest, type PatchErrorCode, type ScimObject } from '../../../src/scim/patch/index.ts';
import { groupResourceType, userResourceType } from '../../../src/scim/schema/registry.ts';
import type { ResourceTypeDef } from '../../../src/scim/schema/types.ts';

const SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const alice: ScimObject = {
  id: 'u1',
  userName: 'alice@example.com',
  name: { givenName: 'Alice', familyName: 'Smith' },
  displayName: 'Alice Smith',
  active: true,
  emails: [
    { value: 'alice@example.com', type: 'work', primary: true },
    { value: 'alice@home.example', type: 'home' },
  ],
  meta: { resourceType: 'User' },
  [ENT]: { department: 'Sales' },
};

const staff: ScimObject = {
  id: 'g1',
  displayName: 'Staff',
  members: [{ value: 'u1' }, { value: 'u2' }],
};

interface Case {
  it: string;
  before?: ScimObject;
  type?: ResourceTypeDef;
  ops: unknown[];
  /** The resource expected, or a function of the input giving it. */
  after?: ScimObject | ((before: ScimObject) => ScimObject);
  changed?: boolean;
  error?: [PatchErrorCode, RegExp];
}

function run(before: ScimObject, ops: unknown[], type: ResourceTypeDef = userResourceType) {
  const parsed = parsePatchRequest({ schemas: [SCHEMA], Operations: ops });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  return applyPatch(before, parsed.value, type);
}

const withUser = (patch: ScimObject) => (u: ScimObject) => ({ ...u, ...patch });
const without = (key: string) => (u: ScimObject) => Object.fromEntries(Object.entries(u).filter(([k]) => k !== key));

const cases: Case[] = [
  // add (RFC 7644 §3.5.2.1)
  {
    it: 'merges a path-less add: complex attributes merged, multi-valued ones appended',
    ops: [{ op: 'add', value: { name: { middleName: 'J' }, emails: [{ value: 'a@other.example', type: 'other' }] } }],
    after: withUser({
      name: { givenName: 'Alice', familyName: 'Smith', middleName: 'J' },
      emails: [...(alice['emails'] as object[]), { value: 'a@other.example', type: 'other' }],
    }),
  },
  {
    it: 'appends to a multi-valued attribute but skips an exact duplicate',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'alice@home.example', type: 'home' }, { value: 'n@e.w', type: 'other' }] }],
    after: withUser({ emails: [...(alice['emails'] as object[]), { value: 'n@e.w', type: 'other' }] }),
  },
  {
    it: 'replaces a single-valued attribute on add',
    ops: [{ op: 'add', path: 'displayName', value: 'Al' }],
    after: withUser({ displayName: 'Al' }),
  },
  // replace (RFC 7644 §3.5.2.3)
  {
    it: 'replaces each key of a path-less replace, a multi-valued one wholesale',
    ops: [{ op: 'replace', value: { displayName: 'A.', emails: [{ value: 'only@x.y' }] } }],
    after: withUser({ displayName: 'A.', emails: [{ value: 'only@x.y' }] }),
  },
  {
    it: 'replaces only the given sub-attributes of a complex attribute',
    ops: [{ op: 'replace', path: 'name', value: { givenName: 'Ally' } }],
    after: withUser({ name: { givenName: 'Ally', familyName: 'Smith' } }),
  },
  {
    it: 'sets a sub-attribute by a dotted path',
    ops: [{ op: 'replace', path: 'name.givenName', value: 'Ally' }],
    after: withUser({ name: { givenName: 'Ally', familyName: 'Smith' } }),
  },
  {
    it: 'sets a sub-attribute on the elements a value filter matches',
    ops: [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'new@home.example' }],
    after: withUser({ emails: [(alice['emails'] as object[])[0], { value: 'new@home.example', type: 'home' }] }),
  },
  {
    it: 'compares caseExact:false sub-attributes case-insensitively in a value filter',
    ops: [{ op: 'replace', path: 'emails[type eq "HOME" and value sw "ALICE@"].display', value: 'Home' }],
    after: withUser({ emails: [(alice['emails'] as object[])[0], { value: 'alice@home.example', type: 'home', display: 'Home' }] }),
  },
  {
    it: 'evaluates or, not, parentheses, co and pr in a value filter',
    ops: [{ op: 'replace', path: 'emails[(type eq "x" or value co "home") and not (primary pr)].display', value: 'H' }],
    after: withUser({ emails: [(alice['emails'] as object[])[0], { value: 'alice@home.example', type: 'home', display: 'H' }] }),
  },
  {
    it: 'replaces whole matching elements when the filtered path has no sub-attribute',
    ops: [{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'h@h.h', type: 'home' } }],
    after: withUser({ emails: [(alice['emails'] as object[])[0], { value: 'h@h.h', type: 'home' }] }),
  },
  {
    it: 'evaluates ne and gt in a value filter',
    ops: [{ op: 'remove', path: 'emails[type ne "work" and value gt "alice@f"]' }],
    after: withUser({ emails: [(alice['emails'] as object[])[0]] }),
  },
  {
    it: "compares Entra's unquoted number with a string sub-attribute as written",
    before: { ...alice, phoneNumbers: [{ value: '5551234', type: 'work' }, { value: '5551234.0', type: 'home' }] },
    ops: [{ op: 'replace', path: 'phoneNumbers[value eq 5551234].type', value: 'mobile' }],
    after: (u) => ({ ...u, phoneNumbers: [{ value: '5551234', type: 'mobile' }, { value: '5551234.0', type: 'home' }] }),
  },
  {
    it: 'unassigns an attribute replaced with null (RFC 7643 §2.5)',
    ops: [{ op: 'replace', path: 'displayName', value: null }],
    after: without('displayName'),
  },
  {
    it: 'removes the whole extension when remove names its URN',
    ops: [{ op: 'remove', path: ENT }],
    after: without(ENT),
  },
  {
    it: 'answers noTarget when a replace filter that is not `type eq` matches nothing',
    ops: [{ op: 'replace', path: 'emails[value eq "nobody@x.y"].type', value: 'work' }],
    error: ['noTarget', /Operations\[0\]: No value of "emails" matches/],
  },
  {
    it: 'answers noTarget for a filtered replace without sub-attribute that matches nothing',
    ops: [{ op: 'replace', path: 'emails[type eq "other"]', value: { value: 'o@o.o' } }],
    error: ['noTarget', /emails/],
  },
  {
    it: 'writes canonical names when the request uses another case',
    ops: [{ op: 'replace', value: { DISPLAYNAME: 'A', Name: { GIVENNAME: 'B' } } }, { op: 'replace', path: 'EMAILS[TYPE eq "home"].VALUE', value: 'c@d.e' }],
    after: withUser({
      displayName: 'A',
      name: { givenName: 'B', familyName: 'Smith' },
      emails: [(alice['emails'] as object[])[0], { value: 'c@d.e', type: 'home' }],
    }),
  },
  {
    it: 'resolves a core-URN-prefixed path',
    ops: [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName', value: 'Ally' }],
    after: withUser({ name: { givenName: 'Ally', familyName: 'Smith' } }),
  },
  {
    it: 'writes enterprise attributes under the extension URN key',
    ops: [
      { op: 'replace', path: `${ENT}:department`, value: 'R&D' },
      { op: 'add', path: `${ENT}:manager.value`, value: 'm1' },
    ],
    after: withUser({ [ENT]: { department: 'R&D', manager: { value: 'm1' } } }),
  },
  // dottedSchemaUrn: `urn:…:User.attr` read as RFC 7644's `urn:…:User:attr`, never as a junk attribute
  {
    it: 'reads a dotted enterprise path as its colon form',
    ops: [{ op: 'Replace', path: `${ENT}.department`, value: 'X' }],
    after: withUser({ [ENT]: { department: 'X' } }),
  },
  {
    it: 'reads a dotted core path as its colon form',
    ops: [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User.nickName', value: 'X' }],
    after: withUser({ nickName: 'X' }),
  },
  {
    it: 'reads a dotted path with a sub-attribute',
    ops: [{ op: 'add', path: `${ENT}.manager.value`, value: 'm1' }],
    after: withUser({ [ENT]: { department: 'Sales', manager: { value: 'm1' } } }),
  },
  {
    it: 'reads a dotted path as a key of a path-less value',
    ops: [{ op: 'replace', value: { [`${ENT}.department`]: 'X', [`${ENT}.manager`]: { value: 'm1' } } }],
    after: withUser({ [ENT]: { department: 'X', manager: { value: 'm1' } } }),
  },
  {
    it: 'answers invalidPath for a dotted path naming no attribute of the schema',
    ops: [{ op: 'replace', path: `${ENT}.nickName`, value: 'X' }],
    error: ['invalidPath', /names no attribute of "urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User"/],
  },
  {
    it: 'answers invalidPath for an attribute under a fragment of a known schema URN',
    ops: [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:department', value: 'X' }],
    error: ['invalidPath', /names no attribute of "urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User"/],
  },
  {
    it: 'answers invalidPath for a path-less value keyed by a fragment of a known schema URN',
    ops: [{ op: 'add', value: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0': { User: { department: 'X' } } } }],
    error: ['invalidPath', /names no attribute of "urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User"/],
  },
  {
    it: 'applies an object value whose path is the extension URN',
    ops: [{ op: 'add', path: ENT, value: { costCenter: 'CC1' } }],
    after: withUser({ [ENT]: { department: 'Sales', costCenter: 'CC1' } }),
  },
  {
    it: 'writes a path-less extension object and creates the extension when absent',
    before: { id: 'u2', userName: 'bob' },
    ops: [{ op: 'add', value: { [ENT]: { employeeNumber: '42' } } }],
    after: { id: 'u2', userName: 'bob', [ENT]: { employeeNumber: '42' } },
  },
  {
    it: 'ignores readOnly sub-attributes sent inside a complex value (manager.displayName)',
    ops: [{ op: 'replace', path: `${ENT}:manager`, value: { value: 'm1', displayName: 'Boss' } }],
    after: withUser({ [ENT]: { department: 'Sales', manager: { value: 'm1' } } }),
  },
  // remove (RFC 7644 §3.5.2.2)
  {
    it: 'removes an attribute',
    ops: [{ op: 'remove', path: 'displayName' }],
    after: without('displayName'),
  },
  {
    it: 'removes only the elements a value filter matches',
    ops: [{ op: 'remove', path: 'emails[type eq "home"]' }],
    after: withUser({ emails: [(alice['emails'] as object[])[0]] }),
  },
  {
    it: 'drops a multi-valued attribute when its last element is removed',
    ops: [{ op: 'remove', path: 'emails[value ew "example.com" or value ew ".example"]' }],
    after: without('emails'),
  },
  {
    it: 'removes a sub-attribute',
    ops: [{ op: 'remove', path: 'name.familyName' }],
    after: withUser({ name: { givenName: 'Alice' } }),
  },
  {
    it: 'removes a sub-attribute from matching elements only',
    ops: [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
    after: withUser({ emails: [{ value: 'alice@example.com', type: 'work' }, (alice['emails'] as object[])[1]] }),
  },
  {
    // RFC 7643 §2.4: "value" is the entry's content; an email with a type and no address means nothing.
    it: "drops the entry whose value is removed (Entra's emails[type eq \"work\"].value)",
    ops: [{ op: 'Remove', path: 'emails[type eq "work"].value' }],
    after: withUser({ emails: [(alice['emails'] as object[])[1]] }),
  },
  {
    it: 'drops the attribute when the value of its only entry is removed',
    before: { ...alice, emails: [{ value: 'alice@example.com', type: 'work', primary: true }] },
    ops: [{ op: 'Remove', path: 'emails[type eq "work"].value' }],
    after: without('emails'),
  },
  {
    it: "drops the phone number whose value is removed (Entra's phoneNumbers[type eq \"mobile\"].value)",
    before: { ...alice, phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }, { value: '+1 555 0199', type: 'work' }] },
    ops: [{ op: 'Remove', path: 'phoneNumbers[type eq "mobile"].value' }],
    after: (b) => ({ ...b, phoneNumbers: [{ value: '+1 555 0199', type: 'work' }] }),
  },
  {
    it: "keeps an address that still holds a part when its locality is removed (Entra's addresses[type eq \"work\"].locality)",
    before: { ...alice, addresses: [{ type: 'work', locality: 'Redmond', country: 'US', primary: true }] },
    ops: [{ op: 'Remove', path: 'addresses[type eq "work"].locality' }],
    after: (b) => ({ ...b, addresses: [{ type: 'work', country: 'US', primary: true }] }),
  },
  {
    it: 'drops an address left with nothing but its type and primary',
    before: { ...alice, addresses: [{ type: 'work', locality: 'Redmond', primary: true }, { type: 'home', locality: 'Paris' }] },
    ops: [{ op: 'Remove', path: 'addresses[type eq "work"].locality' }],
    after: (b) => ({ ...b, addresses: [{ type: 'home', locality: 'Paris' }] }),
  },
  {
    it: 'drops the extension object when its last attribute is removed',
    ops: [{ op: 'remove', path: `${ENT}:department` }],
    after: without(ENT),
  },
  {
    it: 'answers noTarget for a remove without a path',
    ops: [{ op: 'remove', value: { displayName: 'x' } }],
    error: ['noTarget', /remove needs a path/],
  },
  {
    it: 'refuses to remove the required userName with mutability',
    ops: [{ op: 'remove', path: 'userName' }],
    error: ['mutability', /"userName" is required/],
  },
  {
    it: 'refuses to unassign the required userName by replacing it with null',
    ops: [{ op: 'replace', path: 'userName', value: null }],
    error: ['mutability', /userName/],
  },
  {
    it: 'refuses to remove a Group displayName with mutability',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'remove', path: 'displayName' }],
    error: ['mutability', /displayName/],
  },
  // mutability (RFC 7643 §2.2)
  {
    it: 'refuses a replace of the readOnly id',
    ops: [{ op: 'replace', path: 'id', value: 'other' }],
    error: ['mutability', /"id" is readOnly/],
  },
  {
    it: 'refuses a path-less add touching the readOnly meta',
    ops: [{ op: 'add', value: { meta: { resourceType: 'X' } } }],
    error: ['mutability', /"meta" is readOnly/],
  },
  {
    it: 'refuses writes to the readOnly groups',
    ops: [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }],
    error: ['mutability', /"groups" is readOnly/],
  },
  {
    it: 'refuses to remove the readOnly groups',
    ops: [{ op: 'remove', path: 'groups' }],
    error: ['mutability', /groups/],
  },
  {
    it: 'refuses to change an immutable sub-attribute once set (members.value)',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'replace', path: 'members[value eq "u1"].value', value: 'u9' }],
    error: ['mutability', /members\.value" is immutable/],
  },
  {
    it: 'sets an immutable sub-attribute that is absent (members.type)',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'add', path: 'members[value eq "u1"].type', value: 'User' }],
    after: { ...staff, members: [{ value: 'u1', type: 'User' }, { value: 'u2' }] },
  },
  // paths
  { it: 'answers invalidPath for an unclosed filter bracket', ops: [{ op: 'replace', path: 'emails[type eq', value: 'x' }], error: ['invalidPath', /unclosed/] },
  { it: 'answers invalidFilter for a bad operator in a value filter', ops: [{ op: 'replace', path: 'emails[type zz "w"].value', value: 'x' }], error: ['invalidFilter', /emails/] },
  { it: 'answers invalidFilter for a value path nested in a value filter', ops: [{ op: 'remove', path: 'emails[x[y eq 1]]' }], error: ['invalidFilter', /Invalid filter/] },
  { it: 'answers invalidFilter naming an invalid escape in a value filter', ops: [{ op: 'remove', path: 'emails[value eq "a\\q"]' }], error: ['invalidFilter', /filter "value eq "a\\q"" in path .*Invalid escape '\\q' at position 12/] },
  { it: 'answers invalidPath for trailing garbage', ops: [{ op: 'replace', path: 'name.givenName.x', value: 'x' }], error: ['invalidPath', /unexpected/] },
  { it: 'answers invalidPath for a sub-attribute of a simple attribute', ops: [{ op: 'replace', path: 'userName.first', value: 'x' }], error: ['invalidPath', /no sub-attributes/] },
  { it: 'answers invalidPath for a filter on a single-valued attribute', ops: [{ op: 'replace', path: 'name[givenName eq "A"]', value: {} }], error: ['invalidPath', /not a multi-valued/] },
  { it: 'answers invalidPath for an empty attribute name', ops: [{ op: 'replace', path: '.value', value: 'x' }], error: ['invalidPath', /attribute name/] },
  // types (RFC 7643 §2.3)
  { it: 'answers invalidValue naming the attribute for a non-boolean active', ops: [{ op: 'replace', path: 'active', value: 'yes' }], error: ['invalidValue', /"active" must be a boolean/] },
  { it: 'answers invalidValue for a non-array multi-valued value', ops: [{ op: 'add', path: 'emails', value: { value: 'a@b.c' } }], error: ['invalidValue', /"emails" must be an array/] },
  { it: 'answers invalidValue for a number where a string is declared', ops: [{ op: 'replace', value: { userName: 42 } }], error: ['invalidValue', /"userName" must be a string/] },
  { it: 'answers invalidValue for a string where a complex value is declared', ops: [{ op: 'replace', path: 'name', value: 'Al' }], error: ['invalidValue', /"name" must be an object/] },
  { it: 'answers invalidValue for a wrongly typed sub-attribute', ops: [{ op: 'add', path: 'emails', value: [{ value: 'a@b.c', primary: 1 }] }], error: ['invalidValue', /"emails.primary" must be a boolean/] },
  // unknown attributes round-trip
  {
    it: 'keeps unknown attributes from a path-less add as sent',
    ops: [{ op: 'add', value: { costume: { hat: 'red' }, 'urn:example:ext:1.0:User': { badge: 7 } } }],
    after: withUser({ costume: { hat: 'red' }, 'urn:example:ext:1.0:User': { badge: 7 } }),
  },
  {
    it: 'keeps an unknown attribute written by path, including an unknown extension URN',
    ops: [{ op: 'replace', path: 'shoeSize', value: 44 }, { op: 'add', path: 'urn:example:ext:1.0:User:badge', value: 'B7' }],
    after: withUser({ shoeSize: 44, 'urn:example:ext:1.0:User': { badge: 'B7' } }),
  },
  {
    it: 'keeps unknown sub-attributes inside known complex values',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'x@y.z', verified: true }] }],
    after: withUser({ emails: [...(alice['emails'] as object[]), { value: 'x@y.z', verified: true }] }),
  },
  // primary (RFC 7643 §2.4)
  {
    it: 'takes primary away from the others when an added value is primary',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'p@x.y', type: 'other', primary: true }] }],
    after: withUser({
      emails: [{ value: 'alice@example.com', type: 'work' }, (alice['emails'] as object[])[1], { value: 'p@x.y', type: 'other', primary: true }],
    }),
  },
  {
    it: 'takes primary away from the others when a filtered path sets primary',
    ops: [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }],
    after: withUser({ emails: [{ value: 'alice@example.com', type: 'work' }, { value: 'alice@home.example', type: 'home', primary: true }] }),
  },
  {
    it: 'answers invalidValue when one operation makes two values primary',
    ops: [{ op: 'replace', path: 'emails', value: [{ value: 'a@b.c', primary: true }, { value: 'd@e.f', primary: true }] }],
    error: ['invalidValue', /primary/],
  },
  // a value already present under other sub-attributes (RFC 7644 §3.5.2.1: not added twice; merged)
  {
    it: 'merges an added email that differs from a present one only in primary, and takes primary from the others',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'alice@home.example', type: 'home', primary: true }] }],
    after: withUser({ emails: [{ value: 'alice@example.com', type: 'work' }, { value: 'alice@home.example', type: 'home', primary: true }] }),
  },
  {
    it: 'merges an added email that differs only in type and in the case of its address: the added sub-attributes win',
    ops: [{ op: 'add', value: { emails: [{ value: 'Alice@Home.example', type: 'other' }] } }],
    after: withUser({ emails: [(alice['emails'] as object[])[0], { value: 'Alice@Home.example', type: 'other' }] }),
  },
  {
    it: 'reports no change when an added email names a present one with fewer sub-attributes',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'alice@example.com' }] }],
    after: alice,
    changed: false,
  },
  {
    it: 'merges an added phone number already present under another type',
    before: { ...alice, phoneNumbers: [{ value: '+1 555 0100', type: 'work' }] },
    ops: [{ op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555 0100', type: 'mobile', primary: true }] }],
    after: { ...alice, phoneNumbers: [{ value: '+1 555 0100', type: 'mobile', primary: true }] },
  },
  // no-ops and ordering
  { it: 'reports no change when a replace sets the current value', ops: [{ op: 'replace', path: 'displayName', value: 'Alice Smith' }], after: alice, changed: false },
  { it: 'reports no change when an existing email is added again', ops: [{ op: 'add', path: 'emails', value: [{ value: 'alice@home.example', type: 'home' }] }], after: alice, changed: false },
  { it: 'reports no change when removing an absent attribute', ops: [{ op: 'remove', path: 'nickName' }], after: alice, changed: false },
  { it: 'reports no change when a later op undoes an earlier one', ops: [{ op: 'replace', path: 'title', value: 'X' }, { op: 'remove', path: 'title' }], after: alice, changed: false },
  {
    it: 'fails the whole patch, naming the operation, when a later op fails',
    ops: [{ op: 'replace', path: 'title', value: 'X' }, { op: 'replace', path: 'id', value: 'y' }],
    error: ['mutability', /^Operations\[1\]: "id"/],
  },
  // Group members (RFC 7643 §4.2)
  {
    it: 'adds members without duplicating one already present under another display',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'add', path: 'members', value: [{ value: 'U2', display: 'Bob' }, { value: 'u3', display: 'Carol' }] }],
    after: { ...staff, members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] },
  },
  {
    it: 'removes the member a members[value eq] path names',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'remove', path: 'members[value eq "u1"]' }],
    after: { ...staff, members: [{ value: 'u2' }] },
  },
  {
    it: 'removes nothing, without error, when the member to remove is already gone',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'remove', path: 'members[value eq "u9"]' }],
    after: staff,
    changed: false,
  },
  {
    it: 'reads value-filter strings as JSON strings (RFC 7644 §3.4.2.2): \\u escapes',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'remove', path: 'members[value eq "\\u0075\\u0031"]' }],
    after: { ...staff, members: [{ value: 'u2' }] },
  },
  {
    it: "removes Entra's listed member whose id holds a quote and a backslash",
    before: { ...staff, members: [{ value: 'a"b\\c' }, { value: 'u2' }] },
    type: groupResourceType,
    ops: [{ op: 'Remove', path: 'members', value: [{ value: 'a"b\\c' }] }],
    after: { ...staff, members: [{ value: 'u2' }] },
  },
  {
    it: 'removes all members when remove names members with no value (RFC 7644 §3.5.2.2)',
    before: staff,
    type: groupResourceType,
    ops: [{ op: 'remove', path: 'members' }],
    after: { id: 'g1', displayName: 'Staff' },
  },
];

describe('applyPatch', () => {
  for (const c of cases) {
    it(c.it, () => {
      const before = c.before ?? alice;
      const snapshot = structuredClone(before);
      const result = run(before, c.ops, c.type);
      assert.deepEqual(before, snapshot, 'the input resource must not be mutated');
      if (c.error) {
        assert.equal(result.ok, false, 'expected an error');
        if (result.ok) return;
        assert.equal(result.code, c.error[0], result.detail);
        assert.match(result.detail, c.error[1]);
        return;
      }
      assert.ok(result.ok, result.ok ? '' : `${result.code}: ${result.detail}`);
      const expected = typeof c.after === 'function' ? c.after(before) : c.after;
      assert.deepEqual(result.value.resource, expected);
      assert.equal(result.value.changed, c.changed ?? true);
    });
  }

  it('never aliases the request value into the result', () => {
    const value = [{ value: 'x@y.z', type: 'other' }];
    const result = run(alice, [{ op: 'add', path: 'emails', value }]);
    assert.ok(result.ok);
    value[0]!.type = 'mutated';
    assert.equal((result.value.resource['emails'] as Array<{ type: string }>)[2]!.type, 'other');
  });

  it('leaves a deep-frozen input untouched', () => {
    const frozen = deepFreeze(structuredClone(alice));
    const result = run(frozen, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'z@z.z' }, { op: 'remove', path: 'name.givenName' }]);
    assert.ok(result.ok);
    assert.equal(result.value.changed, true);
  });
});

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
