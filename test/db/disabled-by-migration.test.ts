import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { migrate } from '../../src/db/migrate.ts';

/** The migration before users.disabled_by: the database an upgrade starts from. */
const BEFORE_DISABLED_BY = 'Migration20261201134007_scim_problems';

const ORG = '00000000-0000-7000-8000-0000000000a1';
const USERS = {
  byAdmin: '00000000-0000-7000-8000-0000000000c1',
  byCsv: '00000000-0000-7000-8000-0000000000c2',
  byIdp: '00000000-0000-7000-8000-0000000000c3',
  createdOff: '00000000-0000-7000-8000-0000000000c4',
  untraced: '00000000-0000-7000-8000-0000000000c5',
  active: '00000000-0000-7000-8000-0000000000c6',
};

/**
 * The upgrade tells who disabled each disabled person from their latest
 * disabling audit entry, so disables made here stick from the first IdP write
 * after it; a person with no such entry stays unknown (null: the IdP's to undo).
 */
describe('migrations: users.disabled_by', () => {
  let db: TestDatabase;
  const run = (text: string, params: unknown[] = []) => db.store.orm.em.getConnection().execute(text, params) as Promise<Array<Record<string, unknown>>>;

  before(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.store.orm.migrator.up({ to: BEFORE_DISABLED_BY });
    await run(`insert into organizations (id, slug, name, settings, version, created_at, updated_at) values (?, 'acme', 'acme', '{}', 1, now(), now())`, [ORG]);
    for (const [name, id] of Object.entries(USERS)) {
      const disabled = id !== USERS.active;
      await run(
        `insert into users (id, org_id, user_name, state, source, disabled_at, version, created_at, updated_at) values (?, ?, ?, ?, 'scim', ?, 1, now(), now())`,
        [id, ORG, name, disabled ? 'disabled' : 'active', disabled ? new Date() : null],
      );
    }
    const audit = (user: string, action: string, actorType: string, door: string | null, details: Record<string, unknown> = {}) => run(
      `insert into audit_events (org_id, at, actor_type, actor_label, action, target_type, target_id, target_label, details, door) values (?, now(), ?, 'someone', ?, 'user', ?, 'x', ?::jsonb, ?)`,
      [ORG, actorType, action, user, JSON.stringify(details), door],
    );
    // Disabled by the IdP, reactivated, then disabled by an admin: the latest disable counts.
    await audit(USERS.byAdmin, 'user.disabled', 'scim_token', null);
    await audit(USERS.byAdmin, 'user.reactivated', 'scim_token', null);
    await audit(USERS.byAdmin, 'user.disabled', 'admin_token', null);
    await audit(USERS.byCsv, 'user.disabled', 'user', 'csv', { source: 'csv' });
    await audit(USERS.byIdp, 'user.disabled', 'scim_token', null);
    await audit(USERS.createdOff, 'user.created', 'scim_token', null, { source: 'scim', active: false });
    await migrate(db.store.orm);
  });
  after(() => db.close());

  it('fills disabled_by from each disabled person\'s latest disabling audit entry, null when there is none', async () => {
    const rows = await run('select user_name, disabled_by from users order by id');
    assert.deepEqual(rows, [
      { user_name: 'byAdmin', disabled_by: 'admin' },
      { user_name: 'byCsv', disabled_by: 'csv' },
      { user_name: 'byIdp', disabled_by: 'scim' },
      { user_name: 'createdOff', disabled_by: 'scim' },
      { user_name: 'untraced', disabled_by: null },
      { user_name: 'active', disabled_by: null },
    ]);
  });
});
