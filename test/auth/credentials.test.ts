import assert from 'node:assert/strict';
import { hashPassword, lockDurationMs, parsePasswordHash, verifyPassword } from '../../src/directory/credentials.ts';
import { checkPassword, strictestPolicy } from '../../src/directory/password-policy.ts';

const fast = { N: 1024, r: 8, p: 1, keylen: 32 };

describe('credentials: scrypt hashes', () => {
  it('stores a self-describing scrypt$N$r$p$salt$hash string with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery', fast);
    const b = await hashPassword('correct horse battery', fast);
    assert.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(parsePasswordHash(a)?.keylen, 32);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', fast);
    assert.deepEqual(await verifyPassword('correct horse battery', stored, fast), { ok: true, needsRehash: false });
    assert.deepEqual(await verifyPassword('correct horse batterY', stored, fast), { ok: false, needsRehash: false });
  });

  it('asks for a re-hash when the configured parameters changed, and still verifies the old hash', async () => {
    const old = await hashPassword('correct horse battery', { N: 512, r: 8, p: 1, keylen: 32 });
    assert.deepEqual(await verifyPassword('correct horse battery', old, fast), { ok: true, needsRehash: true });
    assert.deepEqual(await verifyPassword('wrong', old, fast), { ok: false, needsRehash: false });
  });

  it('treats Unicode compositions of the same password as equal (NFKC)', async () => {
    const stored = await hashPassword('caf\u00e9 au lait 42', fast);
    assert.equal((await verifyPassword('cafe\u0301 au lait 42', stored, fast)).ok, true);
  });

  it('refuses a malformed or foreign stored hash without throwing', async () => {
    for (const stored of ['', 'bcrypt$2b$10$abc', 'scrypt$x$8$1$a$b', 'scrypt$1024$8$1$$']) {
      assert.equal((await verifyPassword('anything', stored, fast)).ok, false, stored);
    }
  });

  it('locks for 15 minutes every 5 failures, doubling each time up to the cap', () => {
    const policy = { maxFailures: 5, lockMs: 15 * 60_000, maxLockMs: 60 * 60_000 };
    assert.deepEqual([1, 4, 5, 6, 10, 15, 20].map((n) => lockDurationMs(n, policy) / 60_000), [0, 0, 15, 0, 30, 60, 60]);
  });
});

describe('password policy', () => {
  const policy = { minLength: 12, requireClasses: 3 };
  const cases: Array<[string, string, { minLength: number; requireClasses: number }, string | null, RegExp[]]> = [
    ['accepts a long mixed password', 'Blue-Harbor-Lamp-42', policy, 'ann@acme.test', []],
    ['refuses a short password', 'Ab1!xyz', policy, null, [/at least 12 characters/]],
    ['counts characters, not UTF-16 units', '🔑'.repeat(11), { minLength: 12, requireClasses: 0 }, null, [/at least 12/]],
    ['refuses too few character classes', 'onlylowercaseletters', policy, null, [/at least 3 of/]],
    ['accepts four classes when three are required', 'Tulip.River.7.Stone', policy, null, []],
    ['accepts lower case only when no classes are required', 'quiet lantern orchard road', { minLength: 12, requireClasses: 0 }, null, []],
    ['refuses a password containing the email local part', 'Xx-annabelle-2026!', policy, 'Annabelle@acme.test', [/name part of your email/]],
    ['ignores a local part shorter than 3 characters', 'Blue-Harbor-Lamp-42', policy, 'bl@acme.test', []],
    ['refuses a common password', 'password', { minLength: 8, requireClasses: 0 }, null, [/too common/]],
    ['refuses a common password with capitals', 'PASSWORD123', { minLength: 8, requireClasses: 0 }, null, [/too common/]],
    ['refuses a common word with the usual decorations', 'Sunshine2024!!', policy, null, [/too common/]],
    ['refuses a keyboard walk', 'qwertyuiop', { minLength: 8, requireClasses: 0 }, null, [/too common/]],
    ['reports every broken rule at once', 'ann1', policy, 'ann@acme.test', [/at least 12/, /at least 3 of/, /name part/]],
    ['refuses an absurdly long password', 'Aa1!'.repeat(100), policy, null, [/at most 256/]],
  ];
  for (const [name, password, rules, email, expected] of cases) {
    it(name, () => {
      const problems = checkPassword(password, rules, email);
      assert.equal(problems.length, expected.length, JSON.stringify(problems));
      expected.forEach((pattern, i) => {
        assert.equal(problems[i]!.field, 'password');
        assert.match(problems[i]!.reason, pattern);
      });
    });
  }

  it('uses the strictest policy of the orgs a person belongs to', () => {
    assert.deepEqual(strictestPolicy([{ minLength: 10, requireClasses: 3 }, { minLength: 14, requireClasses: 1 }], policy), { minLength: 14, requireClasses: 3 });
    assert.deepEqual(strictestPolicy([], policy), policy);
  });
});
