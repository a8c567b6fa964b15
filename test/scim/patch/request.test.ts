import assert from 'node:assert/strict';
import { parsePatchRequest } from '../../../src/scim/patch/index.ts';

const SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('parsePatchRequest', () => {
  const accepted: Array<[string, unknown, unknown]> = [
    [
      'accepts Entra\'s capitalised "Replace" with a string boolean, as sent',
      { schemas: [SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
      [{ op: 'replace', path: 'active', value: 'False' }],
    ],
    [
      'accepts op names in any case',
      { schemas: [SCHEMA], Operations: [{ op: 'ADD', path: 'nickName', value: 'Al' }, { op: 'rEmOvE', path: 'title' }] },
      [{ op: 'add', path: 'nickName', value: 'Al' }, { op: 'remove', path: 'title' }],
    ],
    [
      'accepts a path-less replace (Okta deactivate)',
      { schemas: [SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] },
      [{ op: 'replace', value: { active: false } }],
    ],
    [
      'treats an empty path as no path',
      { schemas: [SCHEMA], Operations: [{ op: 'replace', path: '', value: { active: true } }] },
      [{ op: 'replace', value: { active: true } }],
    ],
    [
      'accepts "operations" in another case (RFC 7643 §2.1 names are case-insensitive)',
      { schemas: [SCHEMA], operations: [{ op: 'remove', path: 'members[value eq "u1"]' }] },
      [{ op: 'remove', path: 'members[value eq "u1"]' }],
    ],
    [
      'keeps the value of a remove (Entra removes members by value)',
      { schemas: [SCHEMA], Operations: [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }] },
      [{ op: 'remove', path: 'members', value: [{ value: 'u1' }] }],
    ],
    [
      'reads an empty Operations list as no change (Microsoft\'s SCIM Validator sends one and expects success)',
      { schemas: [SCHEMA], Operations: [] },
      [],
    ],
  ];
  for (const [name, body, ops] of accepted) {
    it(name, () => assert.deepEqual(parsePatchRequest(body), { ok: true, value: ops }));
  }

  const refused: Array<[string, unknown, string, RegExp]> = [
    ['refuses a body that is not an object', [], 'invalidSyntax', /JSON object/],
    ['refuses null without throwing', null, 'invalidSyntax', /JSON object/],
    ['refuses a body without the PatchOp schema', { Operations: [{ op: 'add', value: {} }] }, 'invalidSyntax', /schemas/],
    [
      'refuses a body whose schemas name another message',
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ op: 'add', value: {} }] },
      'invalidSyntax',
      /PatchOp/,
    ],
    ['refuses a missing Operations list', { schemas: [SCHEMA] }, 'invalidSyntax', /Operations/],
    ['refuses an Operations that is no list', { schemas: [SCHEMA], Operations: { op: 'add', path: 'title', value: 'x' } }, 'invalidSyntax', /"Operations" must be an array of operations/],
    ['refuses an operation that is not an object', { schemas: [SCHEMA], Operations: ['add'] }, 'invalidSyntax', /Operations\[0\]/],
    [
      'refuses an unknown op and names its index',
      { schemas: [SCHEMA], Operations: [{ op: 'add', path: 'title', value: 'x' }, { op: 'move', path: 'title' }] },
      'invalidSyntax',
      /Operations\[1\]\.op .*"move"/,
    ],
    ['refuses a path that is not a string', { schemas: [SCHEMA], Operations: [{ op: 'remove', path: 7 }] }, 'invalidSyntax', /path must be a string/],
    ['refuses an add without a value', { schemas: [SCHEMA], Operations: [{ op: 'add', path: 'title' }] }, 'invalidValue', /has no "value"/],
  ];
  for (const [name, body, code, detail] of refused) {
    it(name, () => {
      const result = parsePatchRequest(body);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.code, code);
      assert.match(result.detail, detail);
    });
  }
});
