import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143531_live_users_index extends Migration {

  override name = 'Migration20261123143531_live_users_index';

  override up(): void | Promise<void> {
    this.addSql(`drop index "users_org_id_index";`);
    this.addSql(`create index "users_org_live_id_index" on "users" ("org_id", "id") where "state" <> 'deleted';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_org_live_id_index";`);
    this.addSql(`create index "users_org_id_index" on "users" ("org_id", "id");`);
  }

}
