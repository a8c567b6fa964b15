import { Migration } from '@mikro-orm/migrations';

export class Migration20261130060336_group_claims extends Migration {

  override name = 'Migration20261130060336_group_claims';

  override up(): void | Promise<void> {
    this.addSql(`create table "group_claims" ("user_id" uuid not null, "org_id" uuid not null, "groups" jsonb not null default '[]', "updated_at" timestamptz not null, primary key ("user_id"));`);
    this.addSql(`create index "group_claims_org_index" on "group_claims" ("org_id");`);

    this.addSql(`alter table "group_claims" add constraint "group_claims_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_claims" add constraint "group_claims_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "group_claims" cascade;`);
  }

}
