import assert from 'node:assert/strict';
import { statusCounts, userStatus, type UserStatus } from '../../src/directory/status.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { UserState } from '../../src/db/entities/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { statusSql } from '../../src/directory/status.ts';

describe('user status derivation', () => {
  const clock = fixedClock(new Date('2026-11-23T12:00:00Z'));
  const later = new Date('2026-11-24T12:00:00Z');
  const earlier = new Date('2026-11-22T12:00:00Z');
  const exactlyNow = new Date('2026-11-23T12:00:00Z');

  const table: Array<[UserState, Date | null, UserStatus]> = [
    ['invited', later, 'pending'],
    ['invited', earlier, 'expired'],
    ['invited', exactlyNow, 'expired'],
    ['invited', null, 'expired'],
    ['active', null, 'active'],
    ['active', earlier, 'active'],
    ['disabled', later, 'disabled'],
    ['deleted', later, 'deleted'],
  ];

  for (const [state, inviteExpiresAt, status] of table) {
    it(`derives ${status} from state ${state} with an invitation expiring ${inviteExpiresAt?.toISOString() ?? 'never'}`, () => {
      assert.equal(userStatus({ state, inviteExpiresAt }, clock.now()), status);
    });
  }

  it('turns pending into expired when the clock passes the expiry', () => {
    const c = fixedClock(new Date('2026-11-23T12:00:00Z'));
    const user = { state: 'invited' as const, inviteExpiresAt: later };
    assert.equal(userStatus(user, c.now()), 'pending');
    c.advance(2 * 86_400_000);
    assert.equal(userStatus(user, c.now()), 'expired');
  });

  it('counts enabled as active + pending + expired', () => {
    const counts = statusCounts([['active', 3], ['pending', 2], ['expired', 1], ['disabled', 4], ['deleted', 5]]);
    assert.deepEqual(counts, { active: 3, pending: 2, expired: 1, disabled: 4, deleted: 5, enabled: 6 });
  });

  describe('the SQL expression', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase({ migrate: false });
    });
    after(() => db.close());

    it('agrees with the pure function on every row of the table', async () => {
      const em = db.store.orm.em.fork();
      const expr = statusSql(clock.now(), 'x');
      for (const [state, inviteExpiresAt, status] of table) {
        const rows = await em.execute(`select ${expr.sql} as status from (select ?::text as state, ?::timestamptz as invite_expires_at) x`, [...expr.params, state, inviteExpiresAt]);
        assert.equal(rows[0]!.status, status, `${state} ${inviteExpiresAt?.toISOString()}`);
      }
    });
  });
});
