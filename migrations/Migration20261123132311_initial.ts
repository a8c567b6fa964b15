import { Migration } from '@mikro-orm/migrations';

export class Migration20261123132311_initial extends Migration {

  override name = 'Migration20261123132311_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "credentials" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" varchar(320) not null, "password_hash" varchar(500) not null, "password_changed_at" timestamptz not null, "failed_attempts" int not null default 0, "locked_until" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "credentials" add constraint "credentials_email_unique" unique ("email");`);

    this.addSql(`create table "organizations" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "slug" varchar(63) not null, "name" varchar(200) not null, "settings" jsonb not null default '{}', "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "organizations" add constraint "organizations_slug_unique" unique ("slug");`);

    this.addSql(`create table "groups" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "display_name" varchar(300) not null, "external_id" varchar(320) null, "description" varchar(1000) null, "source" text not null, "scim_attributes" jsonb not null default '{}', "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "groups_org_id_index" on "groups" ("org_id", "id");`);
    this.addSql(`create index "groups_org_external_id_index" on "groups" ("org_id", "external_id");`);
    this.addSql(`create unique index "groups_org_display_name_unique" on "groups" ("org_id", lower("display_name"));`);
    this.addSql(`alter table "groups" add constraint "groups_source_check" check ("source" in ('scim', 'saml-jit', 'invitation', 'csv', 'admin'));`);

    this.addSql(`create table "audit_events" ("id" bigserial primary key, "org_id" uuid not null, "at" timestamptz not null, "actor_type" text not null, "actor_id" varchar(100) null, "actor_label" varchar(320) not null, "action" varchar(100) not null, "target_type" varchar(50) null, "target_id" varchar(100) null, "target_label" varchar(320) null, "details" jsonb not null default '{}', "request_id" varchar(100) null, "ip" varchar(64) null, "user_agent" varchar(500) null);`);
    this.addSql(`create index "audit_events_org_id_index" on "audit_events" ("org_id", "id");`);
    this.addSql(`create index "audit_events_org_target_index" on "audit_events" ("org_id", "target_id");`);
    this.addSql(`alter table "audit_events" add constraint "audit_events_actor_type_check" check ("actor_type" in ('admin_token', 'scim_token', 'user', 'system', 'cli'));`);

    this.addSql(`create table "api_tokens" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "name" varchar(200) not null, "scope" text not null, "token_hash" varchar(64) not null, "hint" varchar(40) not null, "permissions" jsonb not null default '[]', "created_by" varchar(320) not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "api_tokens_org_index" on "api_tokens" ("org_id");`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_scope_check" check ("scope" in ('scim', 'admin'));`);

    this.addSql(`create table "saml_connections" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "name" varchar(200) not null default 'default', "idp_entity_id" varchar(1000) not null, "idp_sso_url" varchar(2000) not null, "idp_certificates" jsonb not null, "idp_metadata_url" varchar(2000) null, "name_id_format" varchar(200) null, "allow_idp_initiated" boolean not null default false, "allow_sha1" boolean not null default false, "jit" text not null default 'off', "attribute_mapping" jsonb not null default '{}', "allowed_redirect_urls" jsonb not null default '[]', "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "saml_connections" add constraint "saml_connections_org_name_unique" unique ("org_id", "name");`);
    this.addSql(`alter table "saml_connections" add constraint "saml_connections_jit_check" check ("jit" in ('off', 'link', 'create'));`);

    this.addSql(`create table "users" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "user_name" varchar(320) not null, "external_id" varchar(320) null, "given_name" varchar(200) null, "family_name" varchar(200) null, "middle_name" varchar(200) null, "honorific_prefix" varchar(50) null, "honorific_suffix" varchar(50) null, "display_name" varchar(300) null, "nick_name" varchar(200) null, "title" varchar(200) null, "user_type" varchar(100) null, "preferred_language" varchar(50) null, "locale" varchar(50) null, "timezone" varchar(100) null, "email" varchar(320) null, "emails" jsonb not null default '[]', "phone" varchar(50) null, "phone_numbers" jsonb not null default '[]', "department" varchar(200) null, "employee_number" varchar(100) null, "cost_center" varchar(100) null, "organization" varchar(200) null, "division" varchar(200) null, "manager_id" varchar(320) null, "manager_display_name" varchar(300) null, "office_location" varchar(200) null, "state" text not null default 'active', "org_role" text not null default 'member', "permissions" jsonb not null default '[]', "source" text not null, "invite_expires_at" timestamptz null, "last_active_at" timestamptz null, "disabled_at" timestamptz null, "deleted_at" timestamptz null, "scim_attributes" jsonb not null default '{}', "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "users_org_id_index" on "users" ("org_id", "id");`);
    this.addSql(`create index "users_org_external_id_index" on "users" ("org_id", "external_id");`);
    this.addSql(`create index "users_org_email_index" on "users" ("org_id", "email");`);
    this.addSql(`create index "users_org_state_index" on "users" ("org_id", "state");`);
    this.addSql(`create unique index "users_org_user_name_unique" on "users" ("org_id", lower("user_name"));`);
    this.addSql(`alter table "users" add constraint "users_state_check" check ("state" in ('invited', 'active', 'disabled', 'deleted'));`);
    this.addSql(`alter table "users" add constraint "users_org_role_check" check ("org_role" in ('org_admin', 'member'));`);
    this.addSql(`alter table "users" add constraint "users_source_check" check ("source" in ('scim', 'saml-jit', 'invitation', 'csv', 'admin'));`);

    this.addSql(`create table "sessions" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "method" text not null, "ip" varchar(64) null, "user_agent" varchar(500) null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_org_user_index" on "sessions" ("org_id", "user_id");`);
    this.addSql(`alter table "sessions" add constraint "sessions_method_check" check ("method" in ('saml', 'password', 'invitation'));`);

    this.addSql(`create table "memberships" ("id" uuid not null, "org_id" uuid not null, "group_id" uuid not null, "user_id" uuid not null, "role" varchar(100) not null default 'viewer', "source" text not null, "added_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "memberships_org_user_index" on "memberships" ("org_id", "user_id");`);
    this.addSql(`alter table "memberships" add constraint "memberships_group_user_unique" unique ("group_id", "user_id");`);
    this.addSql(`alter table "memberships" add constraint "memberships_source_check" check ("source" in ('scim', 'saml-jit', 'invitation', 'csv', 'admin'));`);

    this.addSql(`create table "invitations" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "user_id" uuid not null, "email" varchar(320) not null, "name" varchar(300) null, "message" varchar(2000) null, "invited_by_id" uuid null, "invited_by_label" varchar(320) not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "accepted_at" timestamptz null, "revoked_at" timestamptz null, "undeliverable_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "invitations" add constraint "invitations_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "invitations_org_email_index" on "invitations" ("org_id", "email");`);

    this.addSql(`create table "invitation_memberships" ("id" uuid not null, "invitation_id" uuid not null, "group_id" uuid not null, "role" varchar(100) not null default 'viewer', primary key ("id"));`);
    this.addSql(`alter table "invitation_memberships" add constraint "invitation_memberships_unique" unique ("invitation_id", "group_id");`);

    this.addSql(`alter table "groups" add constraint "groups_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "audit_events" add constraint "audit_events_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "api_tokens" add constraint "api_tokens_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "saml_connections" add constraint "saml_connections_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "users" add constraint "users_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "sessions" add constraint "sessions_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "memberships" add constraint "memberships_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "memberships" add constraint "memberships_group_id_foreign" foreign key ("group_id") references "groups" ("id") on delete cascade;`);
    this.addSql(`alter table "memberships" add constraint "memberships_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "invitations" add constraint "invitations_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "invitations" add constraint "invitations_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "invitation_memberships" add constraint "invitation_memberships_invitation_id_foreign" foreign key ("invitation_id") references "invitations" ("id") on delete cascade;`);
    this.addSql(`alter table "invitation_memberships" add constraint "invitation_memberships_group_id_foreign" foreign key ("group_id") references "groups" ("id") on delete cascade;`);
  }

}
