import { Migration } from '@mikro-orm/migrations';

export class Migration20261123141157_invitations_eula extends Migration {

  override name = 'Migration20261123141157_invitations_eula';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "eula_version" varchar(50) null, add "eula_accepted_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "eula_version", drop column "eula_accepted_at";`);
  }

}
