import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { sql } from '../support/scim.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { purgeDeletedUsers } from '../../src/directory/people.ts';
import { deleteOrg } from '../../src/directory/org-deletion.ts';

/**
 * A password, second factors, recovery codes and reset links belong to an address across orgs
 * (credentials.ts). Once no profile of any org is left for the address (the last one purged, or
 * its org deleted), they are personal data with no use: they go too. While any profile remains —
 * even a deleted one that may still be restored — they stay.
 */
describe('sign-in secrets of an address nobody is left with', function () {
  this.timeout(60_000);
  let t: TestApp;
  const DAY = 24 * 3600 * 1000;
  const clock = fixedClock(new Date('2026-11-23T12:00:00Z'));

  before(async () => {
    t = await createTestApp({ clock });
  });
  after(() => t?.close());

  async function person(org: SeededOrg, email: string, state = 'active', deletedDaysAgo = 0): Promise<void> {
    await sql(t, `insert into users (id, created_at, updated_at, org_id, user_name, email, source, state, deleted_at)
      values (gen_random_uuid(), now(), now(), ?, ?, ?, 'admin', ?, ?)`,
    [org.id, email, email, state, state === 'deleted' ? new Date(clock.now().getTime() - deletedDaysAgo * DAY) : null]);
  }

  async function secrets(email: string): Promise<void> {
    await sql(t, `insert into credentials (id, created_at, updated_at, email, password_hash, password_changed_at) values (gen_random_uuid(), now(), now(), ?, 'hash', now())`, [email]);
    await sql(t, `insert into second_factors (id, created_at, updated_at, email, kind, secret, confirmed_at) values (gen_random_uuid(), now(), now(), ?, 'totp', 'S', now())`, [email]);
    await sql(t, `insert into recovery_codes (id, created_at, updated_at, email, code_hash) values (gen_random_uuid(), now(), now(), ?, md5(random()::text))`, [email]);
    await sql(t, `insert into password_resets (id, created_at, updated_at, email, token_hash, expires_at, requested_by) values (gen_random_uuid(), now(), now(), ?, md5(random()::text), now() + interval '1 hour', 'self')`, [email]);
  }

  /** Per address, the tables still holding it. */
  async function held(emails: string[]): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const email of emails) {
      out[email] = [];
      for (const table of ['credentials', 'second_factors', 'recovery_codes', 'password_resets']) {
        const [row] = await sql(t, `select count(*)::int as n from ${table} where email = ?`, [email]);
        if (Number(row!.n) > 0) out[email]!.push(table);
      }
    }
    return out;
  }
  const all = ['credentials', 'second_factors', 'recovery_codes', 'password_resets'];

  it('the daily purge forgets them with the last profile of the address, and keeps them while another profile remains', async () => {
    const a = await seedOrg(t.container, 'purge-a');
    const b = await seedOrg(t.container, 'purge-b');
    await person(a, 'gone@example.com', 'deleted', 31);
    await person(a, 'elsewhere@example.com', 'deleted', 31);
    await person(b, 'elsewhere@example.com');
    await person(a, 'restorable@example.com', 'deleted', 31);
    await person(b, 'restorable@example.com', 'deleted', 2);
    for (const email of ['gone@example.com', 'elsewhere@example.com', 'restorable@example.com']) await secrets(email);

    assert.equal((await purgeDeletedUsers(t.container.fork(), clock.now())).purged, 3);

    assert.deepEqual(await held(['gone@example.com', 'elsewhere@example.com', 'restorable@example.com']), {
      'gone@example.com': [],
      'elsewhere@example.com': all,
      'restorable@example.com': all,
    });
  });

  it('deleting an org forgets them for the addresses only that org had, and counts them', async () => {
    const leaving = await seedOrg(t.container, 'leaving-secrets');
    const staying = await seedOrg(t.container, 'staying-secrets');
    await person(leaving, 'only-here@example.com');
    await person(leaving, 'shared@example.com');
    await person(staying, 'shared@example.com');
    await secrets('only-here@example.com');
    await secrets('shared@example.com');

    const { deleted } = await deleteOrg(t.container.fork(), 'leaving-secrets');

    assert.deepEqual(await held(['only-here@example.com', 'shared@example.com']), { 'only-here@example.com': [], 'shared@example.com': all });
    assert.equal(deleted.passwords, 1);
  });
});
