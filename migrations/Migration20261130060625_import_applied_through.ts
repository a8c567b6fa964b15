import { Migration } from '@mikro-orm/migrations';

export class Migration20261130060625_import_applied_through extends Migration {

  override name = 'Migration20261130060625_import_applied_through';

  override up(): void | Promise<void> {
    this.addSql(`alter table "csv_imports" add "applied_through" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "csv_imports" drop column "applied_through";`);
  }

}
