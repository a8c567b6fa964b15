import { Migration } from '@mikro-orm/migrations';

export class Migration20261123140105_people extends Migration {

  override name = 'Migration20261123140105_people';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "purged_at" timestamptz null;`);
    this.addSql(`create index "users_deleted_at_index" on "users" ("deleted_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_deleted_at_index";`);
    this.addSql(`alter table "users" drop column "purged_at";`);
  }

}
