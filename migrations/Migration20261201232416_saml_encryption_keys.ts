import { Migration } from '@mikro-orm/migrations';

/**
 * Encrypted assertions (saml/decrypt.ts): the keys an IdP encrypts a connection's assertions to,
 * made by Gatehouse (directory/saml-encryption-keys.ts), and the connection option that refuses
 * assertions in the clear.
 */
export class Migration20261201232416_saml_encryption_keys extends Migration {

  override name = 'Migration20261201232416_saml_encryption_keys';

  override up(): void | Promise<void> {
    this.addSql(`create table "saml_encryption_keys" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "connection_id" uuid not null, "certificate" text not null, "private_key" text not null, primary key ("id"));`);
    this.addSql(`create index "saml_encryption_keys_org_index" on "saml_encryption_keys" ("org_id");`);
    this.addSql(`create index "saml_encryption_keys_connection_index" on "saml_encryption_keys" ("connection_id");`);

    this.addSql(`alter table "saml_connections" add "require_encrypted_assertions" boolean not null default false;`);

    this.addSql(`alter table "saml_encryption_keys" add constraint "saml_encryption_keys_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "saml_encryption_keys" add constraint "saml_encryption_keys_connection_id_foreign" foreign key ("connection_id") references "saml_connections" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "saml_encryption_keys" cascade;`);

    this.addSql(`alter table "saml_connections" drop column "require_encrypted_assertions";`);
  }

}
