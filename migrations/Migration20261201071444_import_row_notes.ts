import { Migration } from '@mikro-orm/migrations';

/**
 * A preview row's notes: what the file asks that the import does not do, said on the row without
 * blocking it (errors block). First: an `Organization Role` cell that differs from the person's role,
 * which only the admin API and the console change.
 *
 * The snapshot now also holds `event_feed_pruned` (Migration20261201060000_feed_pruned_positions
 * created it by hand and left the snapshot behind): no SQL for it here.
 */
export class Migration20261201071444_import_row_notes extends Migration {

  override name = 'Migration20261201071444_import_row_notes';

  override up(): void | Promise<void> {
    this.addSql(`alter table "csv_import_rows" add "notes" jsonb not null default '[]';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "csv_import_rows" drop column "notes";`);
  }

}
