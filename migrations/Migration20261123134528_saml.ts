import { Migration } from '@mikro-orm/migrations';

export class Migration20261123134528_saml extends Migration {

  override name = 'Migration20261123134528_saml';

  override up(): void | Promise<void> {
    this.addSql(`create table "saml_assertions" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "assertion_id" varchar(200) not null, "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "saml_assertions_expires_index" on "saml_assertions" ("expires_at");`);
    this.addSql(`alter table "saml_assertions" add constraint "saml_assertions_org_assertion_unique" unique ("org_id", "assertion_id");`);

    this.addSql(`create table "saml_requests" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "connection_id" uuid not null, "request_id" varchar(100) not null, "relay_state" varchar(2000) null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "saml_requests" add constraint "saml_requests_org_request_unique" unique ("org_id", "request_id");`);

    this.addSql(`create table "sso_links" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "connection_id" uuid not null, "user_id" uuid not null, "name_id" varchar(1000) not null, "name_id_format" varchar(200) null, "last_login_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "sso_links_org_user_index" on "sso_links" ("org_id", "user_id");`);
    this.addSql(`alter table "sso_links" add constraint "sso_links_connection_name_id_unique" unique ("connection_id", "name_id");`);

    this.addSql(`alter table "saml_assertions" add constraint "saml_assertions_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "saml_requests" add constraint "saml_requests_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "saml_requests" add constraint "saml_requests_connection_id_foreign" foreign key ("connection_id") references "saml_connections" ("id") on delete cascade;`);

    this.addSql(`alter table "sso_links" add constraint "sso_links_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "sso_links" add constraint "sso_links_connection_id_foreign" foreign key ("connection_id") references "saml_connections" ("id") on delete cascade;`);
    this.addSql(`alter table "sso_links" add constraint "sso_links_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "saml_assertions" cascade;`);
    this.addSql(`drop table if exists "saml_requests" cascade;`);
    this.addSql(`drop table if exists "sso_links" cascade;`);
  }

}
