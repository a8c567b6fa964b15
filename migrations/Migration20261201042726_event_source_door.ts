import { Migration } from '@mikro-orm/migrations';

/**
 * An event's `source` is the door of the change (README "Consuming changes"),
 * but the events trigger read it from the audit row's `details.source`, which
 * on a membership row is the membership's own source (kept in the event's
 * `data.source`), not the door. So an admin changing the role of, or removing,
 * a membership a CSV import made gave `source: "csv"`; a CSV import changing
 * the role of an admin's membership gave `admin`; and an admin's mapping
 * change giving memberships from SAML group claims (`saml-jit`) gave `saml`.
 *
 * The door a change came through when the actor alone does not tell
 * (Scope.source: `csv`) is now its own column of the audit row, written with
 * every row, and `gatehouse_event_source` reads it; `details.source` still
 * counts on other rows (there it is the scope's door, or the source a row is
 * created with through that same door), never on membership rows, whose door
 * comes from the actor and the column. Membership events are rendered by the
 * statement-level trigger only (Migration20261130180000), so the row
 * trigger's own copy of this rule never sees one.
 *
 * Events written before keep their source: the audit rows do not tell which
 * door changed a membership.
 */
const MEMBERSHIP_ROW = `a.action in ('membership.added', 'membership.removed', 'membership.role_changed', 'membership.source_changed')`;

const SOURCE_BEFORE = `create or replace function "gatehouse_event_source"(a audit_events) returns text language sql immutable as $$
  select case
      when a.actor_type = 'scim_token' then 'scim'
      when a.details->>'source' = 'csv' or a.actor_label like 'csv:%' then 'csv'
      when a.action like 'sso.%' or a.actor_label like 'saml:%' or a.details->>'source' = 'saml-jit' or a.details->>'method' = 'saml' then 'saml'
      when a.actor_type in ('admin_token', 'cli', 'user') then 'admin'
      else 'system'
    end
$$;`;

const SOURCE_AFTER = `create or replace function "gatehouse_event_source"(a audit_events) returns text language sql immutable as $$
  select case
      when a.actor_type = 'scim_token' then 'scim'
      when a.door = 'csv' or a.actor_label like 'csv:%' or (a.details->>'source' = 'csv' and not ${MEMBERSHIP_ROW}) then 'csv'
      when a.action like 'sso.%' or a.actor_label like 'saml:%' or a.details->>'method' = 'saml'
        or (a.details->>'source' = 'saml-jit' and not ${MEMBERSHIP_ROW}) then 'saml'
      when a.actor_type in ('admin_token', 'cli', 'user') then 'admin'
      else 'system'
    end
$$;`;

/** Migration20261130061000_audit_append_only's guard; with `door`, the door too is among what never changes. */
function appendOnly(door: boolean): string {
  return `create or replace function "audit_events_append_only"() returns trigger language plpgsql as $$
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
     or new."request_id" is distinct from old."request_id"${door ? ` or new."door" is distinct from old."door"` : ''} then
    raise exception 'audit_events is append-only: only personal data (labels, details, ip, user agent) may be anonymised' using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;`;
}

export class Migration20261201042726_event_source_door extends Migration {

  override name = 'Migration20261201042726_event_source_door';

  override up(): void | Promise<void> {
    this.addSql(`alter table "audit_events" add "door" varchar(20) null;`);
    this.addSql(SOURCE_AFTER);
    this.addSql(appendOnly(true));
  }

  override down(): void | Promise<void> {
    this.addSql(appendOnly(false));
    this.addSql(SOURCE_BEFORE);
    this.addSql(`alter table "audit_events" drop column "door";`);
  }

}
