import { Migration } from '@mikro-orm/migrations';

/**
 * Live-user counts per org as deltas (src/db/entities/user-count.ts), kept by
 * triggers on `users` in the transaction of each change:
 * - a statement-level insert trigger adds +n per org for the live rows a
 *   statement created (one row for a whole import batch);
 * - a row trigger fires only when a row moves into or out of `deleted`;
 * - a statement-level delete trigger subtracts removed live rows, except for
 *   an org being deleted (its deltas go with it by cascade);
 * - TRUNCATE empties the deltas too.
 * The triggers are created before the backfill, in the same transaction: their
 * lock on `users` holds off writers of another instance until the counts are in.
 */
export class Migration20261130150000_user_count_deltas extends Migration {

  override name = 'Migration20261130150000_user_count_deltas';

  override up(): void | Promise<void> {
    this.addSql(`create table "user_count_deltas" ("id" bigserial primary key, "org_id" uuid not null, "delta" int not null);`);
    this.addSql(`create index "user_count_deltas_org_id_index" on "user_count_deltas" ("org_id");`);
    this.addSql(`alter table "user_count_deltas" add constraint "user_count_deltas_org_id_foreign" foreign key ("org_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`create function "gatehouse_count_inserted_users"() returns trigger language plpgsql as $$
begin
  insert into "user_count_deltas" ("org_id", "delta")
    select a."org_id", count(*) from "added" a where a."state" <> 'deleted' group by a."org_id";
  return null;
end
$$;`);
    this.addSql(`create trigger "users_count_inserted" after insert on "users" referencing new table as "added"
  for each statement execute function "gatehouse_count_inserted_users"();`);

    this.addSql(`create function "gatehouse_count_deleted_users"() returns trigger language plpgsql as $$
begin
  insert into "user_count_deltas" ("org_id", "delta")
    select r."org_id", -count(*) from "removed" r
    where r."state" <> 'deleted' and exists (select 1 from "organizations" o where o."id" = r."org_id")
    group by r."org_id";
  return null;
end
$$;`);
    this.addSql(`create trigger "users_count_deleted" after delete on "users" referencing old table as "removed"
  for each statement execute function "gatehouse_count_deleted_users"();`);

    this.addSql(`create function "gatehouse_count_user_state"() returns trigger language plpgsql as $$
begin
  insert into "user_count_deltas" ("org_id", "delta") values (new."org_id", case when new."state" = 'deleted' then -1 else 1 end);
  return null;
end
$$;`);
    this.addSql(`create trigger "users_count_state" after update of "state" on "users"
  for each row when ((old."state" = 'deleted') is distinct from (new."state" = 'deleted'))
  execute function "gatehouse_count_user_state"();`);

    this.addSql(`create function "gatehouse_count_truncated_users"() returns trigger language plpgsql as $$
begin
  delete from "user_count_deltas";
  return null;
end
$$;`);
    this.addSql(`create trigger "users_count_truncated" after truncate on "users"
  for each statement execute function "gatehouse_count_truncated_users"();`);

    this.addSql(`insert into "user_count_deltas" ("org_id", "delta")
  select "org_id", count(*) from "users" where "state" <> 'deleted' group by "org_id";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "users_count_inserted" on "users";`);
    this.addSql(`drop trigger if exists "users_count_deleted" on "users";`);
    this.addSql(`drop trigger if exists "users_count_state" on "users";`);
    this.addSql(`drop trigger if exists "users_count_truncated" on "users";`);
    this.addSql(`drop function if exists "gatehouse_count_inserted_users"();`);
    this.addSql(`drop function if exists "gatehouse_count_deleted_users"();`);
    this.addSql(`drop function if exists "gatehouse_count_user_state"();`);
    this.addSql(`drop function if exists "gatehouse_count_truncated_users"();`);
    this.addSql(`drop table if exists "user_count_deltas" cascade;`);
  }

}
