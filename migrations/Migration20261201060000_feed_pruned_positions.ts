import { Migration } from '@mikro-orm/migrations';

/**
 * The newest position the retention prune deleted from each org's feed, so the
 * feed can tell a cursor whose following events were pruned (410
 * cursor_expired) from one that is up to date (directory/event-feed.ts). The
 * prune job records it as it deletes; it is never inferred from the
 * positions, whose gaps (the global numbering before
 * Migration20261201042127_feed_positions_per_org, and the one jump it left)
 * lost nothing.
 *
 * No row is seeded: what was pruned before this migration is not known (the
 * positions are gone, and an org's oldest retained position says nothing of
 * whether it had events below it). Claiming more would refuse the cursor of a
 * consumer that missed nothing — one of a quiet org, whose last event was
 * pruned while it kept polling. The first prune after the upgrade records
 * its org's position, and from then on every cursor below it is refused,
 * however old.
 */
export class Migration20261201060000_feed_pruned_positions extends Migration {

  override name = 'Migration20261201060000_feed_pruned_positions';

  override up(): void | Promise<void> {
    this.addSql(`create table "event_feed_pruned" ("org_id" uuid not null, "position" bigint not null default '0', primary key ("org_id"));`);
    this.addSql(`alter table "event_feed_pruned" add constraint "event_feed_pruned_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on update cascade on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "event_feed_pruned" cascade;`);
  }

}
