import { Migration } from '@mikro-orm/migrations';

/**
 * A purge strips the person from their earlier events (the row trigger's `user.purged` branch,
 * Migration20261130062000_event_triggers): it replaced each event's whole resource with
 * `{id, status: "deleted", purged: true}`, the id being the person's. For the person's own
 * `user.*` events that is the README's "keep only ids"; for a membership event it dropped the
 * group, and for an invitation or session event the invitation's or session's id, and the
 * resource no longer had the event's shape — a consumer rebuilding its tables from the feed
 * (a new one, or a replay) could no longer tell which group a `membership.added` was about.
 *
 * A BEFORE UPDATE trigger on `events` keeps, when that rewrite comes, the ids of the resource it
 * replaces: `{group: {id}, user: <the stub>, role}` for a membership, `{id, method?, user: <the
 * stub>}` for an invitation or session. It is a trigger of its own, rather than a new version of
 * the row trigger's function, because that function is redefined whole by every migration that
 * changes any of its branches: this way neither change can undo the other. It fires only when a
 * resource with a `user` becomes a purged stub, so publishing (which sets positions) never runs it.
 */
export class Migration20261201050000_purged_events_keep_ids extends Migration {

  override name = 'Migration20261201050000_purged_events_keep_ids';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "gatehouse_purged_event_resource"(p_old jsonb, p_stub jsonb) returns jsonb language sql immutable as $$
  select jsonb_strip_nulls(jsonb_build_object(
      'id', p_old->'id',
      'method', p_old->'method',
      'group', case when jsonb_typeof(p_old->'group') = 'object' then jsonb_build_object('id', p_old->'group'->'id') end,
      'role', p_old->'role'))
    || jsonb_build_object('user', p_stub)
$$;`);
    this.addSql(`create or replace function "gatehouse_purged_events_keep_ids"() returns trigger language plpgsql as $$
begin
  new.resource := gatehouse_purged_event_resource(old.resource, new.resource);
  return new;
end
$$;`);
    this.addSql(`create trigger "events_purged_keep_ids" before update of "resource" on "events" for each row
  when ((new.resource ->> 'purged') = 'true' and jsonb_typeof(old.resource -> 'user') = 'object')
  execute function "gatehouse_purged_events_keep_ids"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "events_purged_keep_ids" on "events";`);
    this.addSql(`drop function if exists "gatehouse_purged_events_keep_ids"();`);
    this.addSql(`drop function if exists "gatehouse_purged_event_resource"(jsonb, jsonb);`);
  }

}
