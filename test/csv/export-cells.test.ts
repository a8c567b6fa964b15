import assert from 'node:assert/strict';
import { cellText, neutraliseFormula } from '../../src/csv/export-cells.ts';

describe('CSV export cells', () => {
  const table: Array<[string, string, string]> = [
    ['an equals sign', '=SUM(A1:A2)', `'=SUM(A1:A2)`],
    ['a plus sign', '+1-555-0100', `'+1-555-0100`],
    ['a minus sign', '-2+3', `'-2+3`],
    ['an at sign', '@SUM(1)', `'@SUM(1)`],
    ['a tab', '\t=1', `'\t=1`],
    ['a carriage return', '\r=1', `'\r=1`],
    ['a DDE payload', `=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`],
  ];
  for (const [what, input, expected] of table) {
    it(`neutralises a cell starting with ${what}`, () => assert.equal(neutraliseFormula(input), expected));
  }

  const untouched = ['Ada', 'ada@acme.test', 'a=b', 'x-1', ' =1 leading space', '', "'=already quoted", '2026-11-20T10:00:00.000Z'];
  for (const input of untouched) {
    it(`leaves ${JSON.stringify(input)} as it is`, () => assert.equal(neutraliseFormula(input), input));
  }

  it('writes dates in ISO 8601 UTC and null as an empty cell', () => {
    assert.equal(cellText(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))), '2026-01-02T03:04:05.006Z');
    assert.equal(cellText(null), '');
    assert.equal(cellText(undefined), '');
    assert.equal(cellText('-x'), `'-x`);
  });
});
