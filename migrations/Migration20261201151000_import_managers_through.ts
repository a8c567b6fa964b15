import { Migration } from '@mikro-orm/migrations';

export class Migration20261201151000_import_managers_through extends Migration {

  override name = 'Migration20261201151000_import_managers_through';

  override up(): void | Promise<void> {
    this.addSql(`alter table "csv_imports" add "managers_through" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "csv_imports" drop column "managers_through";`);
  }

}
