import { Migration } from '@mikro-orm/migrations';

/**
 * The links resends replaced, by the SHA-256 of their token (never the token):
 * such a link answers 410 "replaced by a newer one", as the README says, where
 * an unknown one answers 404. Links replaced before this migration are not
 * known (their hash was overwritten) and still answer 404.
 */
export class Migration20261130171000_invitation_replaced_tokens extends Migration {

  override name = 'Migration20261130171000_invitation_replaced_tokens';

  override up(): void | Promise<void> {
    this.addSql(`create table "invitation_replaced_tokens" ("token_hash" varchar(64) not null, "invitation_id" uuid not null, "replaced_at" timestamptz not null, primary key ("token_hash"));`);
    this.addSql(`create index "invitation_replaced_tokens_invitation_index" on "invitation_replaced_tokens" ("invitation_id");`);
    this.addSql(`alter table "invitation_replaced_tokens" add constraint "invitation_replaced_tokens_invitation_id_foreign" foreign key ("invitation_id") references "invitations" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "invitation_replaced_tokens" cascade;`);
  }

}
