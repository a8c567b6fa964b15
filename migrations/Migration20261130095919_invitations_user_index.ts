import { Migration } from '@mikro-orm/migrations';

export class Migration20261130095919_invitations_user_index extends Migration {

  override name = 'Migration20261130095919_invitations_user_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "invitations_org_user_index" on "invitations" ("org_id", "user_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "invitations_org_user_index";`);
  }

}
