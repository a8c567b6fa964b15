import assert from 'node:assert/strict';
import { duplicateKey } from '../../src/lib/json-duplicate-keys.ts';

const exact = (key: string) => key;
const folded = (key: string) => key.toLowerCase();

describe('duplicate keys in a JSON text', () => {
  const cases: Array<[text: string, fold: (key: string) => string, expected: ReturnType<typeof duplicateKey>]> = [
    ['{"userName":"a","userName":"b"}', exact, { path: '', first: 'userName', second: 'userName' }],
    ['{"userName":"a","USERNAME":"b"}', folded, { path: '', first: 'userName', second: 'USERNAME' }],
    ['{"userName":"a","USERNAME":"b"}', exact, undefined],
    ['{"user\\u004eame":"a","userName":"b"}', exact, { path: '', first: 'userName', second: 'userName' }],
    ['{"name":{"givenName":"a","givenname":"b"}}', folded, { path: 'name', first: 'givenName', second: 'givenname' }],
    ['{"emails":[{"value":"a"},{"value":"b","Value":"c"}]}', folded, { path: 'emails[1]', first: 'value', second: 'Value' }],
    ['{"Operations":[{"op":"replace","value":{"active":false,"Active":true}}]}', folded, { path: 'Operations[0].value', first: 'active', second: 'Active' }],
    // The same name in sibling objects, or as a value, is no duplicate.
    ['{"emails":[{"value":"a"},{"value":"b"}],"name":{"value":"value"}}', folded, undefined],
    ['{"a":"x\\"a\\":","b":[1,2,{"a":1}],"c":{"a":{"a":null}}}', folded, undefined],
    ['[{"a":1},{"a":2}]', exact, undefined],
    ['"a"', exact, undefined],
  ];
  for (const [text, fold, expected] of cases) {
    it(`finds ${expected ? `"${expected.second}" again at ${expected.path || 'the top'}` : 'no duplicate'} in ${text}${fold === folded ? ' (case-insensitive)' : ''}`, () => {
      assert.deepEqual(duplicateKey(text, fold), expected);
    });
  }
});
