import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { migrate } from '../../src/db/migrate.ts';
import { publishEvents } from '../../src/directory/event-feed.ts';

/** The last migration of the global numbering: the database an upgrade starts from. */
const GLOBAL_NUMBERING = 'Migration20261130191000_event_actor_stable';

const ORGS = { acme: '00000000-0000-7000-8000-00000000000a', globex: '00000000-0000-7000-8000-00000000000b', quiet: '00000000-0000-7000-8000-00000000000c' };

/**
 * An upgrade from the global numbering to positions per org keeps every
 * cursor handed out valid: each org's feed goes on above any position it was
 * ever shown, and webhook endpoints lose no event.
 */
describe('migrations: feed positions per org', () => {
  let db: TestDatabase;
  const run = (text: string, params: unknown[] = []) => db.store.orm.em.getConnection().execute(text, params) as Promise<Array<Record<string, unknown>>>;

  async function event(org: string, position: number | null): Promise<void> {
    await run(
      `insert into events (id, org_id, seq, position, type, occurred_at, published_at, actor, source, data, audit_id)
       values (gen_random_uuid(), ?, nextval('events_seq'), ?, 'user.updated', now(), now(), '{"type":"system","id":null,"label":"system"}', 'system', '{}', 0)`,
      [org, position],
    );
  }

  before(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.store.orm.migrator.up({ to: GLOBAL_NUMBERING });
    for (const [slug, id] of Object.entries(ORGS)) {
      await run(`insert into organizations (id, slug, name, settings, version, created_at, updated_at) values (?, ?, ?, '{}', 1, now(), now())`, [id, slug, slug]);
    }
    // Global numbering: acme 1, 3, 5; globex 2, 4, 6, 7 (the newest, kept by pruning). quiet's events (up to 7 at
    // most) were pruned: its consumer may hold any cursor up to 7.
    for (const [org, position] of [['acme', 1], ['globex', 2], ['acme', 3], ['globex', 4], ['acme', 5], ['globex', 6], ['globex', 7]] as const) await event(ORGS[org], position);
    // acme's endpoint was created when 7 was the newest position; globex's has been sent up to 4.
    for (const [org, cursor] of [['acme', 7], ['globex', 4]] as const) {
      await run(
        `insert into webhooks (id, created_at, updated_at, org_id, url, secret, event_types, enabled, version, cursor_position)
         values (gen_random_uuid(), now(), now(), ?, 'https://example.com/hook', 'secret-secret-secret', '[]', true, 1, ?)`,
        [ORGS[org], cursor],
      );
    }
    await migrate(db.store.orm);
  });
  after(() => db.close());

  it("continues each org's positions above every position it was shown, and gives a new org 1, 2, 3…", async () => {
    await run(`insert into organizations (id, slug, name, settings, version, created_at, updated_at) values ('00000000-0000-7000-8000-00000000000d', 'fresh', 'fresh', '{}', 1, now(), now())`);
    for (const org of [ORGS.acme, ORGS.globex, ORGS.quiet, '00000000-0000-7000-8000-00000000000d', ORGS.acme, '00000000-0000-7000-8000-00000000000d']) await event(org, null);
    const result = await publishEvents(db.store.orm.em.fork(), new Date(), 100);
    assert.equal(result.published, 6);
    const rows = await run(`select o.slug, string_agg(e.position::text, ',' order by e.position) as positions from events e join organizations o on o.id = e.org_id group by o.slug order by o.slug`);
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.slug, r.positions])), {
      acme: '1,3,5,6,7',
      fresh: '1,2',
      globex: '2,4,6,7,8',
      // Its own events are gone: it goes on above the newest position of any org.
      quiet: '8',
    });
  });

  it("moves an endpoint's cursor back to its org's newest position, so its org's next events are sent", async () => {
    const rows = await run(`select o.slug, w.cursor_position::text as cursor from webhooks w join organizations o on o.id = w.org_id order by o.slug`);
    assert.deepEqual(rows.map((r) => [r.slug, r.cursor]), [['acme', '5'], ['globex', '4']]);
  });
});
