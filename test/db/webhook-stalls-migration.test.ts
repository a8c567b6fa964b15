import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { migrate } from '../../src/db/migrate.ts';

/** The migration before webhook stalls: the database an upgrade starts from. */
const BEFORE_STALLS = 'Migration20261201060000_feed_pruned_positions';

const ORG = '00000000-0000-7000-8000-0000000000a1';
const HOOKS = {
  behind: '00000000-0000-7000-8000-0000000000b1',
  atPruned: '00000000-0000-7000-8000-0000000000b2',
  disabled: '00000000-0000-7000-8000-0000000000b3',
};

/**
 * An enabled endpoint already behind its org's newest pruned position when
 * the upgrade runs would be moved on past what it missed by the next lease:
 * the upgrade stalls it, audited as the prune does, with the first missing
 * position not known.
 */
describe('migrations: webhook stalls', () => {
  let db: TestDatabase;
  const run = (text: string, params: unknown[] = []) => db.store.orm.em.getConnection().execute(text, params) as Promise<Array<Record<string, unknown>>>;

  before(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.store.orm.migrator.up({ to: BEFORE_STALLS });
    await run(`insert into organizations (id, slug, name, settings, version, created_at, updated_at) values (?, 'acme', 'acme', '{}', 1, now(), now())`, [ORG]);
    // Positions 1…4 were pruned; 5 and 6 are retained.
    for (const position of [5, 6]) {
      await run(
        `insert into events (id, org_id, seq, position, type, occurred_at, published_at, actor, source, data, audit_id)
         values (gen_random_uuid(), ?, nextval('events_seq'), ?, 'user.updated', now(), now(), '{"type":"system","id":null,"label":"system"}', 'system', '{}', 0)`,
        [ORG, position],
      );
    }
    await run(`insert into event_feed_heads (org_id, position) values (?, 6)`, [ORG]);
    await run(`insert into event_feed_pruned (org_id, position) values (?, 4)`, [ORG]);
    for (const [id, cursor, enabled] of [[HOOKS.behind, 2, true], [HOOKS.atPruned, 4, true], [HOOKS.disabled, 1, false]] as const) {
      await run(
        `insert into webhooks (id, created_at, updated_at, org_id, url, secret, event_types, enabled, version, cursor_position)
         values (?, now(), now(), ?, 'https://example.com/hook', 'secret-secret-secret', '[]', ?, 1, ?)`,
        [id, ORG, enabled, cursor],
      );
    }
    await migrate(db.store.orm);
  });
  after(() => db.close());

  it('stalls an enabled endpoint behind the newest pruned position, and audits it once as the system', async () => {
    const rows = await run('select id, stalled_reason, stalled_at is not null as dated, stalled_from from webhooks order by id');
    assert.deepEqual(rows, [
      { id: HOOKS.behind, stalled_reason: 'cursor_expired', dated: true, stalled_from: null },
      { id: HOOKS.atPruned, stalled_reason: null, dated: false, stalled_from: null },
      { id: HOOKS.disabled, stalled_reason: null, dated: false, stalled_from: null },
    ]);
    const audits = await run(`select target_id, actor_type, details from audit_events where action = 'webhook.stalled'`);
    assert.deepEqual(audits, [
      { target_id: HOOKS.behind, actor_type: 'system', details: { reason: 'cursor_expired', cursor: '2', firstMissingPosition: null, oldestPosition: '5' } },
    ]);
  });
});
