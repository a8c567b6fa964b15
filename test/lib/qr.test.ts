import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeQr, qrSvg } from '../../src/lib/qr.ts';

/**
 * The fixtures are the module matrices the Python `qrcode` package (8.2, an
 * independent implementation) draws for the same text in byte mode, level M,
 * with the same mask forced: one row of 0/1 per line, no quiet zone.
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
  it('matches an independent encoder module for module: version 1, mask 2', () => {
    const code = encodeQr('Gatehouse', 2);
    assert.equal(code.version, 1);
    assert.deepEqual(rowsOf(code.modules), fixture('gatehouse-v1-mask2.txt'));
  });

  it('matches it for a long otpauth URI: version 9, with version information, six alignment patterns and short and long blocks interleaved', () => {
    const code = encodeQr(OTPAUTH_LONG, 5);
    assert.equal(code.version, 9);
    assert.deepEqual(rowsOf(code.modules), fixture('otpauth-v9-mask5.txt'));
  });

  it('picks the smallest version that holds the bytes (UTF-8), up to 2331 bytes in version 40', () => {
    assert.equal(encodeQr('x'.repeat(14)).version, 1);
    assert.equal(encodeQr('x'.repeat(15)).version, 2);
    assert.equal(encodeQr('é'.repeat(8)).version, 2);
    // Version 7 is the first with version information (and no room for it in the data).
    assert.equal(encodeQr('x'.repeat(122)).version, 7);
    assert.equal(encodeQr('x'.repeat(123)).version, 8);
    const largest = encodeQr('x'.repeat(2331));
    assert.equal(largest.version, 40);
    assert.equal(largest.modules.length, 177);
    assert.throws(() => encodeQr('x'.repeat(2332)), RangeError);
  });

  it('writes format information saying level M and the mask it chose by the penalty rules', () => {
    for (const text of ['Gatehouse', OTPAUTH_LONG, 'otpauth://totp/Gatehouse:a%40b.test?secret=ABCDEFGHIJKLMNOP&issuer=Gatehouse']) {
      const code = encodeQr(text);
      const data = (formatBits(code.modules) ^ 0x5412) >>> 10;
      assert.equal(data >>> 3, 0b00, 'level M');
      assert.equal(data & 7, code.mask);
    }
  });

  it('draws SVG whose path covers exactly the dark modules, inside a 4-module quiet zone, with no script or style', () => {
    const text = 'otpauth://totp/Gatehouse:a%40b.test?secret=ABCDEFGHIJKLMNOP&issuer=Gatehouse';
    const svg = qrSvg(text, 'Set-up code for "a@b.test" <app>');
    const { modules } = encodeQr(text);
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
