import assert from 'node:assert/strict';
import type { Comparison } from '../../../src/scim/filter/ast.ts';
import { parseFilter, type FilterAst } from '../../../src/scim/filter/parse.ts';

const eq = (attrPath: string, compValue: string | number | boolean | null): FilterAst => ({ op: 'eq', attrPath, compValue });
/** A number keeps its source text (`raw`) for string attributes. */
const num = (attrPath: string, compValue: number, raw: string, op: Comparison['op'] = 'eq'): FilterAst => ({ op, attrPath, compValue, raw });
const pr = (attrPath: string): FilterAst => ({ op: 'pr', attrPath });
const and = (...filters: FilterAst[]): FilterAst => ({ op: 'and', filters });
const or = (...filters: FilterAst[]): FilterAst => ({ op: 'or', filters });
const not = (filter: FilterAst): FilterAst => ({ op: 'not', filter });
const path = (attrPath: string, valFilter: FilterAst): FilterAst => ({ op: '[]', attrPath, valFilter });

interface Valid {
  behaviour: string;
  filter: string;
  ast: FilterAst;
}

const valid: Valid[] = [
  // IDP-NOTES §1.2 (Okta)
  { behaviour: "parses Okta's userName lookup", filter: 'userName eq "alice@example.com"', ast: eq('userName', 'alice@example.com') },
  { behaviour: "parses Okta's Group Push lookup by displayName", filter: 'displayName eq "Engineering"', ast: eq('displayName', 'Engineering') },
  // IDP-NOTES §1.3 (Entra)
  { behaviour: "parses Entra's externalId lookup", filter: 'externalId eq "0a1b"', ast: eq('externalId', '0a1b') },
  { behaviour: "quotes Entra's unquoted externalId value", filter: 'externalId eq jyoung', ast: eq('externalId', 'jyoung') },
  { behaviour: "quotes Entra's unquoted email-shaped userName", filter: 'userName eq alice@contoso.com', ast: eq('userName', 'alice@contoso.com') },
  { behaviour: 'quotes an unquoted guid-shaped value', filter: 'externalId eq 4f1e2d3c-aaaa-bbbb-cccc-0123456789ab', ast: eq('externalId', '4f1e2d3c-aaaa-bbbb-cccc-0123456789ab') },
  { behaviour: 'quotes an unquoted value with leading zeros rather than reading a number', filter: 'externalId eq 00123', ast: eq('externalId', '00123') },
  { behaviour: 'quotes an unquoted value inside parentheses', filter: '(externalId eq jyoung)', ast: eq('externalId', 'jyoung') },
  {
    behaviour: "keeps Entra's value path with a sub-attribute on one element",
    filter: 'emails[type eq "work"].value eq "a@x.com"',
    ast: path('emails', and(eq('type', 'work'), eq('value', 'a@x.com'))),
  },
  {
    behaviour: 'keeps or inside a value path before its sub-attribute together',
    filter: 'emails[type eq "work" or type eq "home"].value eq "a@x.com"',
    ast: path('emails', and(or(eq('type', 'work'), eq('type', 'home')), eq('value', 'a@x.com'))),
  },
  { behaviour: 'parses a value path with a sub-attribute and pr', filter: 'emails[type eq "work"].value pr', ast: path('emails', and(eq('type', 'work'), pr('value'))) },
  {
    behaviour: "parses Entra's group membership check",
    filter: 'id eq "g1" and members eq "u1"',
    ast: and(eq('id', 'g1'), eq('members', 'u1')),
  },
  { behaviour: 'parses members.value', filter: 'members.value eq "u1"', ast: eq('members.value', 'u1') },
  // every operator
  ...(['ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const).map((op) => ({
    behaviour: `parses the ${op} operator`,
    filter: `title ${op} "x"`,
    ast: { op, attrPath: 'title', compValue: 'x' } as FilterAst,
  })),
  { behaviour: 'parses pr', filter: 'title pr', ast: pr('title') },
  { behaviour: 'reads operators case-insensitively', filter: 'userName EQ "a"', ast: eq('userName', 'a') },
  { behaviour: 'reads logical operators case-insensitively', filter: 'title pr AND nickName pr', ast: and(pr('title'), pr('nickName')) },
  // literals
  { behaviour: 'parses true', filter: 'active eq true', ast: eq('active', true) },
  { behaviour: 'parses false', filter: 'active eq false', ast: eq('active', false) },
  { behaviour: 'parses null', filter: 'title eq null', ast: eq('title', null) },
  { behaviour: 'parses an integer, keeping its source text', filter: 'x eq 42', ast: num('x', 42, '42') },
  { behaviour: 'parses a negative decimal, keeping its source text', filter: 'x gt -1.5', ast: num('x', -1.5, '-1.5', 'gt') },
  { behaviour: 'keeps an exponent as it was written', filter: 'externalId eq 1e3', ast: num('externalId', 1000, '1e3') },
  { behaviour: "keeps Entra's unquoted number as written inside a value path", filter: 'phoneNumbers[value eq 5551234]', ast: path('phoneNumbers', num('value', 5551234, '5551234')) },
  { behaviour: 'parses an escaped quote inside a string', filter: 'title eq "say \\"hi\\""', ast: eq('title', 'say "hi"') },
  { behaviour: 'parses a string with spaces and brackets', filter: 'title eq "a (b) [c] and d"', ast: eq('title', 'a (b) [c] and d') },
  { behaviour: 'parses an empty string', filter: 'title eq ""', ast: eq('title', '') },
  // strings are JSON strings (RFC 7644 §3.4.2.2, RFC 8259 §7)
  { behaviour: 'decodes an escaped backslash', filter: 'userName eq "CONTOSO\\\\jdoe"', ast: eq('userName', 'CONTOSO\\jdoe') },
  { behaviour: 'decodes \\u005c as a backslash', filter: 'userName eq "CONTOSO\\u005cjdoe"', ast: eq('userName', 'CONTOSO\\jdoe') },
  { behaviour: 'decodes a \\u escape in upper-case hex', filter: 'userName eq "CONTOSO\\u005Cjdoe"', ast: eq('userName', 'CONTOSO\\jdoe') },
  { behaviour: 'decodes \\u0022 as a quote', filter: 'displayName eq "Team \\u0022X\\u0022"', ast: eq('displayName', 'Team "X"') },
  { behaviour: 'decodes an escaped solidus', filter: 'title eq "a\\/b"', ast: eq('title', 'a/b') },
  { behaviour: 'decodes the control-character escapes', filter: 'title eq "\\b\\f\\n\\r\\t"', ast: eq('title', '\b\f\n\r\t') },
  { behaviour: 'decodes a surrogate pair into one character', filter: 'title eq "\\ud83d\\ude00"', ast: eq('title', '\u{1F600}') },
  { behaviour: 'decodes a string ending in a backslash', filter: 'title eq "a\\\\"', ast: eq('title', 'a\\') },
  { behaviour: 'decodes an escaped backslash before an escaped quote', filter: 'title eq "\\\\\\""', ast: eq('title', '\\"') },
  { behaviour: 'keeps a backslash in an unquoted Entra value literal', filter: 'externalId eq CONTOSO\\jdoe', ast: eq('externalId', 'CONTOSO\\jdoe') },
  { behaviour: 'keeps a string that looks like a placeholder', filter: 'title eq "0" or title eq "1"', ast: or(eq('title', '0'), eq('title', '1')) },
  { behaviour: 'parses a dateTime string', filter: 'meta.created gt "2011-05-13T04:42:34Z"', ast: { op: 'gt', attrPath: 'meta.created', compValue: '2011-05-13T04:42:34Z' } },
  // attribute paths
  { behaviour: 'parses a sub-attribute path', filter: 'name.familyName co "O\'Malley"', ast: { op: 'co', attrPath: 'name.familyName', compValue: "O'Malley" } },
  {
    behaviour: 'parses a fully qualified enterprise attribute',
    filter: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"',
    ast: eq('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'Sales'),
  },
  {
    behaviour: 'parses a fully qualified core attribute',
    filter: 'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    ast: { op: 'sw', attrPath: 'urn:ietf:params:scim:schemas:core:2.0:User:userName', compValue: 'J' },
  },
  // precedence (RFC 7644 §3.4.2.2: not, then and, then or)
  { behaviour: 'binds and tighter than or', filter: 'a pr or b pr and c pr', ast: or(pr('a'), and(pr('b'), pr('c'))) },
  { behaviour: 'binds and tighter than a following or', filter: 'a pr and b pr or c pr', ast: or(and(pr('a'), pr('b')), pr('c')) },
  { behaviour: 'lets parentheses override precedence', filter: '(a pr or b pr) and c pr', ast: and(or(pr('a'), pr('b')), pr('c')) },
  { behaviour: 'flattens a chain of ands', filter: 'a pr and b pr and c pr', ast: and(pr('a'), pr('b'), pr('c')) },
  { behaviour: 'parses nested parentheses', filter: '((a pr) or ((b pr)))', ast: or(pr('a'), pr('b')) },
  { behaviour: 'parses not with parentheses', filter: 'not (a pr)', ast: not(pr('a')) },
  { behaviour: 'binds not tighter than and', filter: 'not (a pr) and b pr', ast: and(not(pr('a')), pr('b')) },
  { behaviour: 'parses not around a compound filter', filter: 'not (a pr or b pr)', ast: not(or(pr('a'), pr('b'))) },
  // value paths
  {
    behaviour: 'parses and inside a value path',
    filter: 'emails[type eq "work" and value co "@example.com"]',
    ast: path('emails', and(eq('type', 'work'), { op: 'co', attrPath: 'value', compValue: '@example.com' })),
  },
  {
    behaviour: 'parses or inside a value path',
    filter: 'emails[type eq "work" or type eq "home"]',
    ast: path('emails', or(eq('type', 'work'), eq('type', 'home'))),
  },
  {
    behaviour: 'parses a value path combined with other conditions',
    filter: 'userType eq "Employee" and (emails[primary eq true] or title pr)',
    ast: and(eq('userType', 'Employee'), or(path('emails', eq('primary', true)), pr('title'))),
  },
  { behaviour: 'parses not inside a value path', filter: 'emails[not (type eq "work")]', ast: path('emails', not(eq('type', 'work'))) },
  { behaviour: 'tolerates surrounding whitespace', filter: '  userName eq "a"  ', ast: eq('userName', 'a') },
];

interface Invalid {
  behaviour: string;
  filter: string;
  detail: RegExp;
}

const invalid: Invalid[] = [
  { behaviour: 'rejects an empty filter', filter: '', detail: /empty/ },
  { behaviour: 'rejects a blank filter', filter: '   ', detail: /empty/ },
  { behaviour: 'rejects an unterminated string', filter: 'userName eq "alice', detail: /Unterminated string starting at position 13/ },
  { behaviour: 'rejects an unterminated string after an escaped quote', filter: 'title eq "a\\"', detail: /Unterminated/ },
  { behaviour: 'rejects an unknown operator', filter: 'userName xx "a"', detail: /'xx' after 'userName' is not an operator/ },
  { behaviour: 'rejects the SQL-ish like operator', filter: 'userName like "a%"', detail: /'like'.*not an operator/ },
  { behaviour: 'rejects a comparison without a value', filter: 'userName eq', detail: /needs a value/ },
  { behaviour: 'rejects a logical keyword where a value belongs', filter: 'userName eq and', detail: /'and' is not a value/ },
  { behaviour: 'rejects an attribute without an operator', filter: 'userName', detail: /Invalid filter/ },
  { behaviour: 'rejects a missing closing parenthesis', filter: '(userName eq "a"', detail: /expected '\)'|missing '\)'/ },
  { behaviour: 'rejects a stray closing parenthesis', filter: 'userName eq "a")', detail: /unexpected '\)'/ },
  { behaviour: 'rejects a missing closing bracket', filter: 'emails[type eq "work"', detail: /missing '\]'/ },
  { behaviour: 'rejects trailing words', filter: 'userName eq "a" b', detail: /unexpected 'b'/ },
  { behaviour: 'rejects a dangling and', filter: 'userName eq "a" and', detail: /ends where an expression was expected/ },
  { behaviour: 'rejects a leading or', filter: 'or userName eq "a"', detail: /Invalid filter/ },
  { behaviour: 'rejects two operators in a row', filter: 'userName eq eq "a"', detail: /Invalid filter/ },
  { behaviour: 'rejects an empty value path', filter: 'emails[]', detail: /Invalid filter/ },
  { behaviour: 'rejects single-quoted strings', filter: "userName eq 'a'", detail: /Invalid filter/ },
  { behaviour: 'rejects empty parentheses', filter: '()', detail: /Invalid filter/ },
  { behaviour: 'rejects an invalid escape, naming it and its position', filter: 'userName eq "CONTOSO\\jdoe"', detail: /Invalid escape '\\j' at position 21/ },
  { behaviour: 'rejects \\u without four hex digits', filter: 'title eq "\\u12"', detail: /Invalid escape '\\u12' at position 11: .*four hex digits/ },
  { behaviour: 'rejects an unescaped control character', filter: 'title eq "a\tb"', detail: /Unescaped control character U\+0009 at position 12/ },
  { behaviour: 'names a misplaced string as it was sent', filter: 'userName eq "a" "b"', detail: /unexpected '"b"'/ },
  { behaviour: 'rejects a filter over the length limit', filter: `userName eq "${'a'.repeat(5000)}"`, detail: /longer than 4096/ },
];

describe('parseFilter', () => {
  for (const c of valid) {
    it(c.behaviour, () => {
      const result = parseFilter(c.filter);
      assert.ok(result.ok, `expected ${c.filter} to parse: ${result.ok ? '' : result.detail}`);
      assert.deepEqual(result.value, c.ast);
    });
  }

  for (const c of invalid) {
    it(c.behaviour, () => {
      const result = parseFilter(c.filter);
      assert.equal(result.ok, false, `expected ${c.filter} to be refused`);
      if (result.ok) return;
      assert.equal(result.code, 'invalidFilter');
      assert.match(result.detail, c.detail);
    });
  }

  it('never throws, whatever the input', () => {
    for (const text of ['"', '[', ']', '((((', 'a[b[c eq 1]]', '\u0000', 'not', 'a eq "\\', '].x eq 1']) {
      const result = parseFilter(text);
      assert.equal(typeof result.ok, 'boolean');
    }
  });
});
