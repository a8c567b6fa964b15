import assert from 'node:assert/strict';
import { bearerProblem, digestsEqual, generateToken, parseBasicPassword, sha256Hex, tokenHint } from '../../src/lib/tokens.ts';

describe('tokens', () => {
  it('generates prefixed tokens carrying 256 bits of randomness', () => {
    const token = generateToken('scim');
    assert.match(token, /^gh_scim_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token.slice('gh_scim_'.length), 'base64url').length, 32);
  });

  it('never generates the same token twice in 1,000 draws', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateToken('admin')));
    assert.equal(seen.size, 1000);
  });

  it('hashes with SHA-256 to 64 hex characters', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compares digests in constant time and refuses different lengths or empty input', () => {
    const a = sha256Hex('a');
    assert.equal(digestsEqual(a, sha256Hex('a')), true);
    assert.equal(digestsEqual(a, sha256Hex('b')), false);
    assert.equal(digestsEqual(a, a.slice(0, 32)), false);
    assert.equal(digestsEqual('', ''), false);
  });

  it('shows a hint that is not enough to use the token', () => {
    const token = generateToken('admin');
    const hint = tokenHint(token);
    assert.ok(hint.startsWith('gh_admin_'));
    assert.ok(hint.length < 20);
  });

  it('reads a SCIM token from Basic credentials: the password after the first colon, any user name', () => {
    const token = generateToken('scim');
    const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
    assert.equal(parseBasicPassword(basic(`okta:${token}`)), token);
    assert.equal(parseBasicPassword(basic(`:${token}`)), token);
    assert.equal(parseBasicPassword(`basic  ${Buffer.from(`a:${token}`).toString('base64')}`), token);
    for (const header of [basic('acme'), basic('acme:'), 'Basic !!!', 'Basic', `Bearer ${token}`, undefined]) assert.equal(parseBasicPassword(header), undefined, String(header));
    assert.match(bearerProblem(basic('acme:'), { basic: true }), /SCIM token as the password/);
    assert.equal(bearerProblem(basic(`acme:${token.slice(0, -1)}`), { basic: true }).includes(token.slice(0, -1)), false);
  });

  it('names the set-up mistake behind an unusable Authorization header, never echoing it', () => {
    const token = generateToken('scim');
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^Authorization: Bearer <token> is required$/],
      ['Bearer', /^Authorization: Bearer <token> is required$/],
      [`Bearer Bearer ${token}`, /"Bearer" twice/],
      [`bearer  BEARER ${token}`, /"Bearer" twice/],
      [`Basic ${Buffer.from(`okta:${token}`).toString('base64')}`, /Basic authentication is not taken by the admin API/],
      [token, /without the "Bearer " scheme/],
      ['Token abc', /^Authorization: Bearer <token> is required$/],
    ];
    for (const [header, expected] of cases) {
      const problem = bearerProblem(header, { basic: false });
      assert.match(problem, expected, String(header));
      assert.equal(problem.includes(token), false, String(header));
    }
  });
});
