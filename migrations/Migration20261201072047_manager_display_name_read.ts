import { Migration } from '@mikro-orm/migrations';

/**
 * The enterprise `manager.displayName` (RFC 7643 §4.3: readOnly, "the displayName of the User's
 * manager") is read from the manager in the statement that reads the user
 * (directory/user-record.ts managerSql), so a rename shows at once and a deleted manager shows
 * as none. The column meant to hold a copy was never written (every user has it null): it goes.
 *
 * (The snapshot also gains `event_feed_pruned`, which Migration20261201060000_feed_pruned_positions
 * created without recording it there.)
 */
export class Migration20261201072047_manager_display_name_read extends Migration {

  override name = 'Migration20261201072047_manager_display_name_read';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "manager_display_name";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" add "manager_display_name" varchar(300) null;`);
  }

}
