import assert from 'node:assert/strict';
import { signPayload } from '../../src/lib/webhook-http.ts';
import { readmeVerifier, type ReadmeVerifier } from './support.ts';

/**
 * The README's "Verify the signature" snippet, run as a product team copies it: it must accept
 * Gatehouse's signature and refuse anything else with `false` — a request that is not from
 * Gatehouse (no signature header, a mangled one) must not make the receiver throw (a 500 and a
 * stack trace in the receiver's logs) rather than answer 400.
 */
describe('events: the README’s webhook receiver snippet', () => {
  let verify: ReadmeVerifier;
  const secret = 'whsec_readme-snippet-secret';
  const body = JSON.stringify({ id: 'e1', type: 'user.created' });
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    verify = await readmeVerifier();
  });

  it('accepts a body signed as Gatehouse signs it, and refuses another secret, another body or an old timestamp', () => {
    assert.equal(verify(secret, signPayload(secret, body, now()), body), true);
    assert.equal(verify('whsec_another-secret-entirely', signPayload(secret, body, now()), body), false);
    assert.equal(verify(secret, signPayload(secret, body, now()), body.replace('e1', 'e2')), false);
    assert.equal(verify(secret, signPayload(secret, body, now() - 301), body), false);
  });

  it('accepts a header carrying several v1 signatures (a secret being rolled) when any of them is the secret’s, in either order', () => {
    const old = 'whsec_the-secret-being-rolled-out';
    const t = now();
    const mine = signPayload(secret, body, t);
    const theirs = signPayload(old, body, t);
    const v1 = (header: string) => header.split(',v1=')[1]!;
    for (const header of [`${mine},v1=${v1(theirs)}`, `${theirs},v1=${v1(mine)}`]) {
      assert.equal(verify(secret, header, body), true, header);
      assert.equal(verify(old, header, body), true, header);
      assert.equal(verify('whsec_another-secret-entirely', header, body), false, header);
      assert.equal(verify(secret, header, body.replace('e1', 'e2')), false, header);
    }
    assert.equal(verify(secret, `t=${t},v1=${'0'.repeat(64)},v1=zz,v1=`, body), false, 'no matching signature');
  });

  it('answers false, without throwing, for a request with no signature header or a malformed one', () => {
    for (const header of [undefined, '', 'garbage', 't=', 'v1=abc', `t=${now()}`, `t=${now()},v1=zz`, `t=${now()},v1`]) {
      assert.doesNotThrow(() => verify(secret, header, body), `header ${String(header)}`);
      assert.equal(verify(secret, header, body), false, `header ${String(header)}`);
    }
  });
});
