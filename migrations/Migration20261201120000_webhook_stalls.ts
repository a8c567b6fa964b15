import { Migration } from '@mikro-orm/migrations';

/**
 * A webhook endpoint whose next events were pruned before it was sent them is
 * stalled (`cursor_expired`) rather than moved on past them: the retention
 * prune marks it (directory/event-retention.ts) and the worker leases no
 * stalled endpoint until an admin resumes it (directory/webhook-stalls.ts).
 *
 * An enabled endpoint already behind its org's newest pruned position
 * (recorded since Migration20261201060000_feed_pruned_positions) is marked
 * here, audited as the prune would: the next lease would skip what it missed.
 * Which of the pruned events its filter wanted is not known any more, nor
 * the first of them (`stalled_from` null), so it is marked whatever its
 * filter: the admin resumes it in one step.
 */
export class Migration20261201120000_webhook_stalls extends Migration {

  override name = 'Migration20261201120000_webhook_stalls';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhooks" add "stalled_reason" text null, add "stalled_at" timestamptz null, add "stalled_from" bigint null;`);
    this.addSql(`alter table "webhooks" add constraint "webhooks_stalled_reason_check" check ("stalled_reason" in ('cursor_expired'));`);
    this.addSql(`with stalled as (
      update "webhooks" w set "stalled_reason" = 'cursor_expired', "stalled_at" = now()
      from "event_feed_pruned" p
      where p."org_id" = w."org_id" and w."enabled" and w."cursor_position" < p."position"
      returning w."id", w."org_id", w."url", w."cursor_position", p."position" as pruned
    )
    insert into "audit_events" ("org_id", "at", "actor_type", "actor_id", "actor_label", "action", "target_type", "target_id", "target_label", "details")
    select s."org_id", now(), 'system', null, 'system', 'webhook.stalled', 'webhook', s."id"::text, s."url",
      jsonb_build_object('reason', 'cursor_expired', 'cursor', s."cursor_position"::text, 'firstMissingPosition', null,
        'oldestPosition', (select min(e."position")::text from "events" e where e."org_id" = s."org_id" and e."position" > s.pruned))
    from stalled s;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhooks" drop constraint "webhooks_stalled_reason_check";`);
    this.addSql(`alter table "webhooks" drop column "stalled_reason", drop column "stalled_at", drop column "stalled_from";`);
  }

}
