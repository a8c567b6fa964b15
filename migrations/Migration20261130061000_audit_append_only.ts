import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail is append-only (issue 7), enforced by the database as well as
 * by the code (test/admin/audit-append-only.test.ts scans src/):
 * - DELETE is refused, except the cascade of an organization's own deletion
 *   (the cascade runs after the org row is gone, so the check finds no org).
 * - UPDATE may only rewrite what the purge anonymises (labels, details, IP,
 *   user agent: personal data); what happened, when, by whom and to what
 *   (ids, action, time) never changes.
 */
export class Migration20261130061000_audit_append_only extends Migration {

  override name = 'Migration20261130061000_audit_append_only';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "audit_events_append_only"() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    if exists (select 1 from "organizations" where "id" = old."org_id") then
      raise exception 'audit_events is append-only: events are never deleted' using errcode = 'restrict_violation';
    end if;
    return old;
  end if;
  if new."id" <> old."id" or new."org_id" <> old."org_id" or new."at" <> old."at" or new."action" <> old."action"
     or new."actor_type" <> old."actor_type" or new."actor_id" is distinct from old."actor_id"
     or new."target_type" is distinct from old."target_type" or new."target_id" is distinct from old."target_id"
     or new."request_id" is distinct from old."request_id" then
    raise exception 'audit_events is append-only: only personal data (labels, details, ip, user agent) may be anonymised' using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;`);
    this.addSql(`create trigger "audit_events_append_only" before update or delete on "audit_events" for each row execute function "audit_events_append_only"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "audit_events_append_only" on "audit_events";`);
    this.addSql(`drop function if exists "audit_events_append_only"();`);
  }

}
