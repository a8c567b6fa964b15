import { Migration } from '@mikro-orm/migrations';

/**
 * Rolling a webhook secret with a grace period: the secret a rotation
 * replaced keeps signing beside the new one until it expires
 * (directory/webhook-secret-rotation.ts), then the daily housekeeping clears
 * both columns. No index: the housekeeping scans a table of endpoints, a few
 * per org, once a day.
 */
export class Migration20261201071817_webhook_previous_secret extends Migration {

  override name = 'Migration20261201071817_webhook_previous_secret';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhooks" add "previous_secret" varchar(200) null, add "previous_secret_expires_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhooks" drop column "previous_secret", drop column "previous_secret_expires_at";`);
  }

}
