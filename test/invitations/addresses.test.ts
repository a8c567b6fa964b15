import assert from 'node:assert/strict';
import { isEmailAddress, parseAddressList, splitName } from '../../src/directory/invitation-addresses.ts';

type Row = [string, string | string[], Array<[string | null, string | null, string?]>];

// [case, input, [[email, name, problem?], …]]
const table: Row[] = [
  ['one bare address', 'ann@acme.test', [['ann@acme.test', null]]],
  ['lower-cases the address', 'Ann.Lee@Acme.TEST', [['ann.lee@acme.test', null]]],
  ['one per line (a spreadsheet column)', 'ann@acme.test\nbob@acme.test\r\ncy@acme.test', [['ann@acme.test', null], ['bob@acme.test', null], ['cy@acme.test', null]]],
  ['commas and semicolons', 'ann@acme.test, bob@acme.test; cy@acme.test', [['ann@acme.test', null], ['bob@acme.test', null], ['cy@acme.test', null]]],
  ['spaces and tabs', 'ann@acme.test bob@acme.test\tcy@acme.test', [['ann@acme.test', null], ['bob@acme.test', null], ['cy@acme.test', null]]],
  ['blank lines and stray separators', '\n\n ann@acme.test ;; ,\n\n', [['ann@acme.test', null]]],
  ['Name <address>', 'Ann Lee <ann@acme.test>', [['ann@acme.test', 'Ann Lee']]],
  ['"Last, First" <address> keeps the comma inside the quotes', '"Lee, Ann" <ann@acme.test>, Bob <bob@acme.test>', [['ann@acme.test', 'Lee, Ann'], ['bob@acme.test', 'Bob']]],
  ['an Outlook paste', 'Ann Lee <ann@acme.test>; "Doe, Bob" <BOB@acme.test>; cy@acme.test', [['ann@acme.test', 'Ann Lee'], ['bob@acme.test', 'Doe, Bob'], ['cy@acme.test', null]]],
  ['an Outlook paste of directory names (`Last, First` unquoted)', 'Lee, Ann <ann@acme.test>; Doe, Bob <bob@acme.test>', [['ann@acme.test', 'Lee, Ann'], ['bob@acme.test', 'Doe, Bob']]],
  ['unquoted `Last, First` names separated by commas', 'van der Berg, Jan <jan@acme.test>, Lee, Ann <ann@acme.test>', [['jan@acme.test', 'van der Berg, Jan'], ['ann@acme.test', 'Lee, Ann']]],
  ['a word before a bare address stays an invalid entry', 'nonsense, ann@acme.test', [[null, null, 'invalid_email'], ['ann@acme.test', null]]],
  ['<address> without a name', '<ann@acme.test>', [['ann@acme.test', null]]],
  ['a stray quote before a Name <address>', 'Ann "Lee <ann@acme.test>', [['ann@acme.test', 'Ann "Lee']]],
  ['angle brackets inside a quoted name (a directory tag such as <External>)', '"Lee, Ann <External>" <ann@acme.test>; "Bob <b>" <bob@acme.test>', [['ann@acme.test', 'Lee, Ann <External>'], ['bob@acme.test', 'Bob <b>']]],
  ['two Name <address> pairs separated by a space only', 'Ann <ann@acme.test> Bob <bob@acme.test>', [['ann@acme.test', 'Ann'], ['bob@acme.test', 'Bob']]],
  ['name words before a bare address', 'Ann Lee ann@acme.test', [['ann@acme.test', 'Ann Lee']]],
  ['a name in brackets after the address (the old RFC 822 form)', 'ann@acme.test (Ann Lee)', [['ann@acme.test', 'Ann Lee']]],
  ['mailto: prefix', 'mailto:ann@acme.test', [['ann@acme.test', null]]],
  ['a word without @ is an invalid entry', 'ann@acme.test, nonsense', [['ann@acme.test', null], [null, null, 'invalid_email']]],
  ['missing domain dot', 'ann@localhost', [[null, null, 'invalid_email']]],
  ['two @', 'ann@@acme.test', [[null, null, 'invalid_email']]],
  ['a leading dot in the local part', '.ann@acme.test', [[null, null, 'invalid_email']]],
  ['a numeric TLD', 'ann@acme.123', [[null, null, 'invalid_email']]],
  ['an invalid address inside brackets keeps its name', 'Ann <ann@>', [[null, 'Ann', 'invalid_email']]],
  ['a repeat differing only by case', 'ann@acme.test, ANN@acme.test', [['ann@acme.test', null], ['ann@acme.test', null, 'duplicate_in_request']]],
  ['a list (JSON array) with pasted entries inside', ['Ann <ann@acme.test>', 'bob@acme.test; cy@acme.test', 'ann@acme.test'], [['ann@acme.test', 'Ann'], ['bob@acme.test', null], ['cy@acme.test', null], ['ann@acme.test', null, 'duplicate_in_request']]],
  ['plus addressing and subdomains', 'ann+test@mail.eu.acme.test', [['ann+test@mail.eu.acme.test', null]]],
  ['an IDN domain in its ASCII form', 'ann@xn--bcher-kva.xn--p1ai', [['ann@xn--bcher-kva.xn--p1ai', null]]],
  ['empty input', '  \n ', []],
];

describe('pasted address lists', () => {
  for (const [name, input, expected] of table) {
    it(`parses ${name}`, () => {
      const parsed = parseAddressList(input);
      assert.deepEqual(
        parsed.map((p) => [p.email, p.name, ...(p.problem ? [p.problem] : [])]),
        expected.map(([email, n, problem]) => [email, n, ...(problem ? [problem] : [])]),
      );
    });
  }

  it('refuses addresses longer than 254 characters', () => {
    assert.equal(isEmailAddress(`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.test`), false);
  });

  const names: Array<[string | null, string | null, string | null]> = [
    ['Ann Lee', 'Ann', 'Lee'],
    ['Lee, Ann', 'Ann', 'Lee'],
    ['Mary Ann  van Lee', 'Mary Ann van', 'Lee'],
    ['Ann', 'Ann', null],
    [null, null, null],
  ];
  for (const [name, given, family] of names) {
    it(`splits the name ${JSON.stringify(name)} into given and family name`, () => {
      assert.deepEqual(splitName(name), { givenName: given, familyName: family });
    });
  }
});
