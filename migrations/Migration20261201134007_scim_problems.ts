import { Migration } from '@mikro-orm/migrations';

/**
 * SCIM requests of an org's IdP that were refused, for its admins
 * (directory/scim-problems.ts): written after the request's own transaction
 * rolled back, bounded per org and pruned with the other spent records.
 */
export class Migration20261201134007_scim_problems extends Migration {

  override name = 'Migration20261201134007_scim_problems';

  override up(): void | Promise<void> {
    this.addSql(`create table "scim_problems" ("id" bigserial primary key, "org_id" uuid not null, "at" timestamptz not null, "method" varchar(10) not null, "path" varchar(500) not null, "token_id" uuid null, "token_name" varchar(200) not null, "status" smallint not null, "scim_type" varchar(30) null, "detail" varchar(2000) not null, "request_id" varchar(100) not null);`);
    this.addSql(`create index "scim_problems_org_id_id_index" on "scim_problems" ("org_id", "id");`);
    this.addSql(`create index "scim_problems_at_index" on "scim_problems" ("at");`);

    this.addSql(`alter table "scim_problems" add constraint "scim_problems_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "scim_problems" cascade;`);
  }

}
