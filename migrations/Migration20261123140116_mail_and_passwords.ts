import { Migration } from '@mikro-orm/migrations';

export class Migration20261123140116_mail_and_passwords extends Migration {

  override name = 'Migration20261123140116_mail_and_passwords';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_messages" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid null, "to" varchar(320) not null, "subject" varchar(500) not null, "text" text not null, "html" text null, "kind" varchar(50) not null, "related" jsonb not null default '{}', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "sent_at" timestamptz null, "failed_at" timestamptz null, "last_error" varchar(1000) null, primary key ("id"));`);
    this.addSql(`create index "outbox_messages_due_index" on "outbox_messages" ("next_attempt_at") where "sent_at" is null and "failed_at" is null;`);

    this.addSql(`create table "password_resets" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" varchar(320) not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "requested_by" varchar(320) not null, primary key ("id"));`);
    this.addSql(`alter table "password_resets" add constraint "password_resets_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "password_resets_email_index" on "password_resets" ("email");`);

    this.addSql(`alter table "outbox_messages" add constraint "outbox_messages_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbox_messages" cascade;`);
    this.addSql(`drop table if exists "password_resets" cascade;`);
  }

}
