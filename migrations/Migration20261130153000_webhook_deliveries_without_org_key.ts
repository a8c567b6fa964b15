import { Migration } from '@mikro-orm/migrations';

/**
 * A delivery row's org is not checked by a foreign key any more: the row goes
 * with its endpoint and with its event (both cascade), and both go with their
 * org. The check locked the org's one row (FOR KEY SHARE) for every delivery
 * recorded, beside every SCIM write of the same org doing the same for its
 * audit and event rows. `org_id` stays, and every query still filters on it.
 */
export class Migration20261130153000_webhook_deliveries_without_org_key extends Migration {

  override name = 'Migration20261130153000_webhook_deliveries_without_org_key';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_org_id_foreign";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
  }

}
