import { Migration } from '@mikro-orm/migrations';

export class Migration20261130064237_memberships_group_added_index extends Migration {

  override name = 'Migration20261130064237_memberships_group_added_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "memberships_group_added_index" on "memberships" ("group_id", "added_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "memberships_group_added_index";`);
  }

}
