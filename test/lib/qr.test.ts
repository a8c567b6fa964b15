import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { qrModules, qrSvg } from '../../src/lib/qr.ts';

/**
 * The fixtures are the module matrices the Python `qrcode` package (8.2, an
 * independent implementation) draws for the same text in byte mode, level M,
 * with the mask forced to the one the code here chose: one row of 0/1 per line,
 * no quiet zone. They pin what the page draws (the library's encoding, and the
 * UTF-8 bytes handed to it) to what scanners read.
 */
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '..', 'fixtures', 'qr', name), 'utf8').trim().split('\n');
const rowsOf = (modules: boolean[][]) => modules.map((row) => row.map((dark) => (dark ? '1' : '0')).join(''));

const OTPAUTH_LONG =
  'otpauth://totp/Gatehouse:firstname.lastname%2Bsignin%40a-rather-long-subsidiary-name.example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gatehouse&x=yyyyyyyyyyyyyyyyyyyy';

/** The 15 format bits read from the copy around the top-left finder, most significant first. */
function formatBits(modules: boolean[][]): number {
  const cells: Array<[number, number]> = [[8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8]];
  return cells.reduce((bits, [x, y], i) => bits | (modules[y]![x] ? 1 << i : 0), 0);
}

describe('QR codes', () => {
  const maskOf = (modules: boolean[][]) => ((formatBits(modules) ^ 0x5412) >>> 10) & 7;

  it('matches an independent encoder module for module: version 1', () => {
    const modules = qrModules('Gatehouse');
    assert.equal(maskOf(modules), 7);
    assert.deepEqual(rowsOf(modules), fixture('gatehouse-v1-mask7.txt'));
  });

  it('matches it for a long otpauth URI: version 9, with version information, six alignment patterns and short and long blocks interleaved', () => {
    const modules = qrModules(OTPAUTH_LONG);
    assert.equal(modules.length, 53);
    assert.equal(maskOf(modules), 4);
    assert.deepEqual(rowsOf(modules), fixture('otpauth-v9-mask4.txt'));
  });

  it('encodes text as UTF-8 bytes, as the independent encoder does', () => {
    const modules = qrModules(`${'é'.repeat(8)}Zürich`);
    assert.equal(maskOf(modules), 0);
    assert.deepEqual(rowsOf(modules), fixture('utf8-v2-mask0.txt'));
  });

  it('picks the smallest version that holds the bytes (UTF-8)', () => {
    const side = (text: string) => qrModules(text).length;
    assert.equal(side('x'.repeat(14)), 21);
    assert.equal(side('x'.repeat(15)), 25);
    assert.equal(side('é'.repeat(7)), 21);
    assert.equal(side('é'.repeat(8)), 25);
  });

  it('writes format information saying level M', () => {
    for (const text of ['Gatehouse', OTPAUTH_LONG, 'otpauth://totp/Gatehouse:a%40b.test?secret=ABCDEFGHIJKLMNOP&issuer=Gatehouse']) {
      assert.equal((formatBits(qrModules(text)) ^ 0x5412) >>> 13, 0b00, 'level M');
    }
  });

  it('draws SVG whose path covers exactly the dark modules, inside a 4-module quiet zone, with no script or style', () => {
    const text = 'otpauth://totp/Gatehouse:a%40b.test?secret=ABCDEFGHIJKLMNOP&issuer=Gatehouse';
    const svg = qrSvg(text, 'Set-up code for "a@b.test" <app>');
    const modules = qrModules(text);
    const side = modules.length + 8;
    assert.match(svg, new RegExp(`^<svg [^>]*viewBox="0 0 ${side} ${side}"`));
    assert.match(svg, /role="img" aria-label="Set-up code for &quot;a@b.test&quot; &lt;app&gt;"/);
    assert.doesNotMatch(svg, /<script|style=|href=/);
    const drawn = Array.from({ length: modules.length }, () => new Array<boolean>(modules.length).fill(false));
    const d = /<path d="([^"]*)"/.exec(svg)![1]!;
    for (const [, x, y, run] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
      for (let i = 0; i < Number(run); i++) drawn[Number(y) - 4]![Number(x) - 4 + i] = true;
    }
    assert.deepEqual(drawn, modules);
  });
});
