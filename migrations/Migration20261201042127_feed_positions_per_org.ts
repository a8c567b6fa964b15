import { Migration } from '@mikro-orm/migrations';

/**
 * Feed positions per org. They were one numbering across every org, so the
 * gaps between a tenant's own positions showed how much the other tenants
 * did. Each org's feed now has its own numbering (1, 2, 3… for a new org),
 * kept in `event_feed_heads` and moved by the publisher in the statement that
 * numbers the events (directory/event-feed.ts): still after commit, still one
 * publisher at a time, so still commit order within the org.
 *
 * Existing cursors stay valid: a position is unique within its org, and each
 * org goes on above every position it can have been shown —
 * - an org with retained events, from its newest one (pruning goes oldest
 *   first, so no position above it was ever the org's);
 * - an org with none (pruned, or never any), from the newest position of any
 *   org: its pruned events' positions are not known any more, and none was
 *   above that. It shows nothing the org could not see before.
 * An endpoint's cursor past its org's head (it started at the newest position
 * of any org) moves back to the head: the org has no event in between, and
 * its next ones are numbered from there.
 */
export class Migration20261201042127_feed_positions_per_org extends Migration {

  override name = 'Migration20261201042127_feed_positions_per_org';

  override up(): void | Promise<void> {
    this.addSql(`create table "event_feed_heads" ("org_id" uuid not null, "position" bigint not null default '0', primary key ("org_id"));`);
    this.addSql(`alter table "event_feed_heads" add constraint "event_feed_heads_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on update cascade on delete cascade;`);

    // Unique per org (it already is: the positions were unique across orgs), and the index the feed pages by.
    this.addSql(`alter table "events" add constraint "events_org_position_unique" unique ("org_id", "position");`);
    this.addSql(`drop index "events_org_position_index";`);
    this.addSql(`alter table "events" drop constraint "events_position_unique";`);

    this.addSql(`insert into "event_feed_heads" ("org_id", "position")
      select o."id", coalesce((select max(e."position") from "events" e where e."org_id" = o."id"), (select coalesce(max("position"), 0) from "events"))
      from "organizations" o;`);
    this.addSql(`update "webhooks" w set "cursor_position" = h."position" from "event_feed_heads" h where h."org_id" = w."org_id" and w."cursor_position" > h."position";`);
  }

  override down(): void | Promise<void> {
    // One numbering again, above every position handed out, each org's events in their order: a consumer's
    // cursor sees its org's retained events again (never fewer), and an endpoint goes on after the event it was at.
    const renumbered = `with top as (select coalesce(max("position"), 0) as n from "events"),
      r as (select "id", "org_id", "position" as old, (select n from top) + row_number() over (order by "published_at", "position", "org_id") as new
            from "events" where "position" is not null)`;
    this.addSql(`${renumbered}
      update "webhooks" w set "cursor_position" = coalesce((select max(r.new) from r where r."org_id" = w."org_id" and r.old <= w."cursor_position"), (select n from top));`);
    this.addSql(`${renumbered}
      update "events" e set "position" = r.new from r where r."id" = e."id";`);
    this.addSql(`alter table "events" add constraint "events_position_unique" unique ("position");`);
    this.addSql(`create index "events_org_position_index" on "events" ("org_id", "position");`);
    this.addSql(`alter table "events" drop constraint "events_org_position_unique";`);
    this.addSql(`drop table if exists "event_feed_heads" cascade;`);
  }

}
