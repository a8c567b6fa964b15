import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook delivery by cursor (directory/webhook-deliveries.ts): each endpoint
 * keeps the feed position it has been sent up to and a lease, instead of the
 * publisher queuing one row per endpoint × event that the worker then updates
 * twice (claimed, recorded). A delivery row is now written once, after its
 * first attempt; only failures, replays and manual retries wait in the queue.
 * Existing endpoints start at the newest position: what was published before
 * already has its queued rows, which the queue still delivers.
 */
export class Migration20261130140000_webhook_cursors extends Migration {

  override name = 'Migration20261130140000_webhook_cursors';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhooks" add "cursor_position" bigint not null default '0', add "cursor_leased_until" timestamptz null;`);
    this.addSql(`update "webhooks" set "cursor_position" = coalesce((select max("position") from "events"), 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhooks" drop column "cursor_position", drop column "cursor_leased_until";`);
  }

}
