import { Migration } from '@mikro-orm/migrations';

export class Migration20261130060247_event_tables extends Migration {

  override name = 'Migration20261130060247_event_tables';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invitations" add "expiry_announced_for" timestamptz null;`);
    this.addSql(`create table "events" ("id" uuid not null, "org_id" uuid not null, "seq" bigint not null, "position" bigint null, "type" varchar(50) not null, "occurred_at" timestamptz not null, "published_at" timestamptz null, "actor" jsonb not null, "source" text not null, "subject_type" varchar(50) null, "subject_id" varchar(100) null, "resource" jsonb null, "data" jsonb not null default '{}', "audit_id" bigint not null, "request_id" varchar(100) null, primary key ("id"));`);
    this.addSql(`create index "events_org_position_index" on "events" ("org_id", "position");`);
    this.addSql(`create index "events_occurred_at_index" on "events" ("occurred_at");`);
    this.addSql(`create index "events_subject_index" on "events" ("subject_id");`);
    this.addSql(`create index "events_unpublished_index" on "events" ("seq") where "position" is null;`);
    this.addSql(`alter table "events" add constraint "events_position_unique" unique ("position");`);

    this.addSql(`create table "webhooks" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "url" varchar(2000) not null, "description" varchar(500) null, "secret" varchar(200) not null, "event_types" jsonb not null default '[]', "enabled" boolean not null default true, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "webhooks_org_index" on "webhooks" ("org_id");`);

    this.addSql(`create table "webhook_deliveries" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "webhook_id" uuid not null, "event_id" uuid not null, "status" text not null default 'pending', "reason" varchar(20) not null default 'publish', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "delivered_at" timestamptz null, "dead_at" timestamptz null, "last_status" int null, "last_error" varchar(1000) null, "log" jsonb not null default '[]', primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_webhook_index" on "webhook_deliveries" ("webhook_id", "created_at");`);
    this.addSql(`create index "webhook_deliveries_event_index" on "webhook_deliveries" ("event_id");`);
    this.addSql(`create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "status" = 'pending';`);

    this.addSql(`alter table "memberships" add "via_mapping" boolean not null default false;`);

    this.addSql(`alter table "events" add constraint "events_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "events" add constraint "events_source_check" check ("source" in ('scim', 'saml', 'csv', 'admin', 'system'));`);

    this.addSql(`alter table "webhooks" add constraint "webhooks_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_event_id_foreign" foreign key ("event_id") references "events" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_status_check" check ("status" in ('pending', 'delivered', 'dead'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invitations" drop column "expiry_announced_for";`);
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_event_id_foreign";`);
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_webhook_id_foreign";`);

    this.addSql(`drop table if exists "events" cascade;`);
    this.addSql(`drop table if exists "webhooks" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);

    this.addSql(`alter table "memberships" drop column "via_mapping";`);
  }

}
