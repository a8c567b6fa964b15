import { Migration } from '@mikro-orm/migrations';

/**
 * The metrics listener counts dead-lettered webhook deliveries at each scrape (directory/backlog.ts):
 * a partial index holds only those rows, so the count does not scan every delivery of the retention
 * period. Rows become dead rarely; a delivered row never enters it.
 */
export class Migration20261201214400_webhook_dead_index extends Migration {

  override name = 'Migration20261201214400_webhook_dead_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "webhook_deliveries_dead_index" on "webhook_deliveries" ("dead_at") where "status" = 'dead';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "webhook_deliveries_dead_index";`);
  }

}
