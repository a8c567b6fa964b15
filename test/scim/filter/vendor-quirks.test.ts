import assert from 'node:assert/strict';
import {
  entraUnquotedValue,
  entraValuePathSubAttribute,
  lex,
  normalizeFilter,
} from '../../../src/scim/filter/vendor-quirks.ts';

const run = (rule: typeof entraUnquotedValue, text: string) =>
  rule(lex(text))
    .map((t) => t.text)
    .join('');

describe('vendor quirks', () => {
  describe('entraUnquotedValue', () => {
    const cases: Array<[string, string, string]> = [
      ['quotes a bare word after eq', 'externalId eq jyoung', 'externalId eq "jyoung"'],
      ['quotes an email address', 'userName eq alice@contoso.com', 'userName eq "alice@contoso.com"'],
      ['quotes a value followed by and', 'externalId eq a1 and userName eq b', 'externalId eq "a1" and userName eq "b"'],
      ['quotes a value before a closing bracket', 'emails[value eq a@b.c]', 'emails[value eq "a@b.c"]'],
      ['leaves a quoted string alone', 'userName eq "a b"', 'userName eq "a b"'],
      ['leaves true, false and null alone', 'active eq true and title eq null', 'active eq true and title eq null'],
      ['leaves JSON numbers alone', 'x eq -1.5e3', 'x eq -1.5e3'],
      ['quotes a number with leading zeros', 'employeeNumber eq 007', 'employeeNumber eq "007"'],
      ['leaves logical keywords alone', 'userName eq and', 'userName eq and'],
      ['leaves single-quoted values alone', "userName eq 'a'", "userName eq 'a'"],
      ['leaves words that follow no operator alone', 'userName pr and title pr', 'userName pr and title pr'],
      ['escapes a backslash in the quoted value', 'externalId eq a\\b', 'externalId eq "a\\\\b"'],
    ];
    for (const [behaviour, input, output] of cases) it(behaviour, () => assert.equal(run(entraUnquotedValue, input), output));
  });

  describe('entraValuePathSubAttribute', () => {
    const cases: Array<[string, string, string]> = [
      ['moves the sub-attribute comparison into the value path', 'emails[type eq "work"].value eq "x"', 'emails[(type eq "work") and value eq "x"]'],
      ['keeps an or inside the brackets grouped', 'emails[type eq "a" or type eq "b"].value co "x"', 'emails[(type eq "a" or type eq "b") and value co "x"]'],
      ['handles pr after the sub-attribute', 'addresses[type eq "work"].locality pr', 'addresses[(type eq "work") and locality pr]'],
      ['keeps what follows the comparison', 'emails[type eq "work"].value eq "x" and active eq true', 'emails[(type eq "work") and value eq "x"] and active eq true'],
      ['leaves a plain value path alone', 'emails[type eq "work"]', 'emails[type eq "work"]'],
      ['leaves a sub-attribute without an operator alone', 'emails[type eq "work"].value', 'emails[type eq "work"].value'],
    ];
    for (const [behaviour, input, output] of cases) it(behaviour, () => assert.equal(run(entraValuePathSubAttribute, input), output));
  });

  describe('normalizeFilter', () => {
    it('applies both Entra rules together', () => {
      assert.equal(normalizeFilter('emails[type eq work].value eq a@x.com'), 'emails[(type eq "work") and value eq "a@x.com"]');
    });
    it('returns text with an unterminated string unchanged', () => {
      assert.equal(normalizeFilter('userName eq "abc'), 'userName eq "abc');
    });
    it('returns a standard filter unchanged', () => {
      const text = 'userName eq "a" or (emails[type eq "work"] and not (title pr))';
      assert.equal(normalizeFilter(text), text);
    });
  });
});
