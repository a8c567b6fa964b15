import { Migration } from '@mikro-orm/migrations';

export class Migration20261130060057_group_mappings extends Migration {

  override name = 'Migration20261130060057_group_mappings';

  override up(): void | Promise<void> {
    this.addSql(`create table "group_mappings" ("id" uuid not null, "org_id" uuid not null, "idp_group" varchar(300) not null, "group_id" uuid not null, "role" varchar(100) not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create unique index "group_mappings_org_idp_group_group_unique" on "group_mappings" ("org_id", lower("idp_group"), "group_id");`);

    this.addSql(`alter table "group_mappings" add constraint "group_mappings_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "group_mappings" add constraint "group_mappings_group_id_foreign" foreign key ("group_id") references "groups" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "group_mappings" cascade;`);
  }

}
