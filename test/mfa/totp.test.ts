import assert from 'node:assert/strict';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp, totpStep } from '../../src/lib/totp.ts';

// RFC 6238 Appendix B, SHA-1 column: key "12345678901234567890", 8 digits.
const KEY = Buffer.from('12345678901234567890', 'ascii');
const vectors: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  for (const [seconds, expected] of vectors) {
    it(`matches the RFC 6238 SHA-1 vector at T=${seconds}, in 8 and 6 digits`, () => {
      const at = new Date(seconds * 1000);
      assert.equal(totp(KEY, at, 8), expected);
      assert.equal(totp(KEY, at, 6), expected.slice(2));
    });
  }

  it('matches the RFC 4226 Appendix D HOTP values', () => {
    assert.deepEqual([0, 1, 2, 9].map((c) => hotp(KEY, c)), ['755224', '287082', '359152', '520489']);
  });

  it('round-trips base32 and reads a manually typed key (lower case, spaces)', () => {
    const encoded = base32Encode(KEY);
    assert.equal(encoded, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    assert.deepEqual(base32Decode(encoded.toLowerCase().replace(/(.{4})/g, '$1 ')), KEY);
    assert.equal(base32Decode('not base32!'), null);
  });

  it('accepts a code one step early or late, and refuses two steps away', () => {
    const now = new Date(1_700_000_000_000);
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) assert.equal(matchTotp(KEY, hotp(KEY, step + offset), now, null), step + offset, `offset ${offset}`);
    for (const offset of [-2, 2]) assert.equal(matchTotp(KEY, hotp(KEY, step + offset), now, null), null, `offset ${offset}`);
  });

  it('refuses a replayed step and any step before the last used one', () => {
    const now = new Date(1_700_000_000_000);
    const step = totpStep(now);
    assert.equal(matchTotp(KEY, hotp(KEY, step), now, step), null);
    assert.equal(matchTotp(KEY, hotp(KEY, step - 1), now, step), null);
    assert.equal(matchTotp(KEY, hotp(KEY, step + 1), now, step), step + 1);
  });

  it('builds the otpauth URI authenticator apps read', () => {
    assert.equal(otpauthUri('Gatehouse', 'ann@acme.test', 'ABC'), 'otpauth://totp/Gatehouse:ann%40acme.test?secret=ABC&issuer=Gatehouse');
  });
});
