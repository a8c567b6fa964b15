import { Migration } from '@mikro-orm/migrations';

export class Migration20261123145211_mfa extends Migration {

  override name = 'Migration20261123145211_mfa';

  override up(): void | Promise<void> {
    this.addSql(`create table "recovery_codes" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" varchar(320) not null, "code_hash" varchar(64) not null, "used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "recovery_codes_email_index" on "recovery_codes" ("email");`);

    this.addSql(`create table "second_factors" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" varchar(320) not null, "kind" text not null, "secret" varchar(200) null, "phone" varchar(40) null, "confirmed_at" timestamptz null, "last_used_at" timestamptz null, "last_used_step" bigint null, primary key ("id"));`);
    this.addSql(`create index "second_factors_email_index" on "second_factors" ("email");`);

    this.addSql(`create table "mfa_challenges" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "token_hash" varchar(64) not null, "email" varchar(320) not null, "org_id" uuid not null, "user_id" uuid not null, "purpose" text not null, "expires_at" timestamptz not null, "attempts" int not null default 0, "completed_at" timestamptz null, "pending_factor_id" uuid null, "code_hash" varchar(64) null, "code_channel" text null, "code_expires_at" timestamptz null, "code_sent_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_token_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "second_factors" add constraint "second_factors_kind_check" check ("kind" in ('totp', 'email', 'sms'));`);

    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_pending_factor_id_foreign" foreign key ("pending_factor_id") references "second_factors" ("id") on delete set null;`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_purpose_check" check ("purpose" in ('verify', 'enroll'));`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_code_channel_check" check ("code_channel" in ('email', 'sms'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "mfa_challenges" drop constraint "mfa_challenges_pending_factor_id_foreign";`);

    this.addSql(`drop table if exists "recovery_codes" cascade;`);
    this.addSql(`drop table if exists "second_factors" cascade;`);
    this.addSql(`drop table if exists "mfa_challenges" cascade;`);
  }

}
