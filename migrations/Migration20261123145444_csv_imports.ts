import { Migration } from '@mikro-orm/migrations';

export class Migration20261123145444_csv_imports extends Migration {

  override name = 'Migration20261123145444_csv_imports';

  override up(): void | Promise<void> {
    this.addSql(`create table "csv_imports" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "org_id" uuid not null, "mode" text not null, "status" text not null default 'previewed', "file_name" varchar(300) null, "encoding" varchar(20) not null, "delimiter" varchar(1) not null, "options" jsonb not null default '{}', "columns" jsonb not null default '{}', "counts" jsonb not null default '{}', "disable_count" int not null default 0, "enabled_count" int not null default 0, "needs_force" boolean not null default false, "selection" jsonb null, "total" int not null default 0, "processed" int not null default 0, "progress" jsonb not null default '{}', "created_by_label" varchar(320) not null, "committed_at" timestamptz null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "csv_imports_org_id_index" on "csv_imports" ("org_id", "id");`);

    this.addSql(`create table "csv_import_rows" ("import_id" uuid not null, "row_number" int not null, "line" int null, "action" text not null, "user_id" uuid null, "label" varchar(320) null, "data" jsonb not null default '{}', "changes" jsonb not null default '{}', "errors" jsonb not null default '[]', "selected" boolean not null default false, "outcome" varchar(20) null, primary key ("import_id", "row_number"));`);

    this.addSql(`alter table "csv_imports" add constraint "csv_imports_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "csv_imports" add constraint "csv_imports_mode_check" check ("mode" in ('upsert', 'disable', 'sync'));`);
    this.addSql(`alter table "csv_imports" add constraint "csv_imports_status_check" check ("status" in ('previewed', 'committing', 'committed'));`);

    this.addSql(`alter table "csv_import_rows" add constraint "csv_import_rows_import_id_foreign" foreign key ("import_id") references "csv_imports" ("id") on delete cascade;`);
    this.addSql(`alter table "csv_import_rows" add constraint "csv_import_rows_action_check" check ("action" in ('create', 'update', 'unchanged', 'disable', 'skip'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "csv_import_rows" drop constraint "csv_import_rows_import_id_foreign";`);

    this.addSql(`drop table if exists "csv_imports" cascade;`);
    this.addSql(`drop table if exists "csv_import_rows" cascade;`);
  }

}
