import { Migration } from '@mikro-orm/migrations';

/**
 * Issues 6 and 3 (CSV commit and SCIM write speed): the row trigger on
 * `audit_events` (Migration20261130062000_event_triggers) renders each event
 * with a few SQL-function calls, each a query of its own that PostgreSQL
 * plans again in every transaction: ~0.35 ms per event on a quiet machine,
 * more than the rest of a SCIM PATCH's statement. A bulk import writes one
 * `user.created` per person and one `group.updated` per group listing
 * thousands of new members, so it paid that per person twice, and ran at a
 * sixth of its speed without events.
 *
 * The actions bulk writes produce in thousands and IdPs send most — every
 * user lifecycle and profile change, and `group.updated` — now go through
 * one statement-level trigger that sees the statement's new audit rows as a
 * transition table and writes their events with one INSERT … SELECT (a plan
 * the session keeps), the users and groups joined in. The row trigger keeps
 * every other action (of its user branch only `user.purged` is still
 * reached, which rewrites earlier events). Same events, same resources: a `group.updated` gives its group
 * event (when attributes changed), then one `membership.added` per member
 * added, then `membership.removed`.
 *
 * The people a statement creates come first: a membership event never
 * precedes the creation of its user. Then audit order.
 *
 * Row-level AFTER triggers of a statement fire before its statement-level
 * ones, so in a statement that mixes these actions with others the others'
 * events come first.
 */
/** The person's lifecycle and profile changes (user.purged, which rewrites earlier events, stays with the row trigger). */
const USER_ACTIONS = ['user.created', 'user.updated', 'user.disabled', 'user.reactivated', 'user.deleted', 'user.restored', 'user.access_changed']
  .map((a) => `'${a}'`).join(', ');
/** The actions the statement-level trigger renders; the row trigger takes every other one. */
const SET_BASED = `${USER_ACTIONS}, 'group.updated'`;

export class Migration20261130120000_set_based_events extends Migration {

  override name = 'Migration20261130120000_set_based_events';

  override up(): void | Promise<void> {
    // The user as the admin API renders it, from the row and its groups: one expression (no sub-query,
    // no FROM), so PostgreSQL inlines it into the queries that call it instead of running it per row.
    this.addSql(`create or replace function "gatehouse_user_json"(u users, p_groups jsonb) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'id', u.id, 'userName', u.user_name, 'externalId', u.external_id, 'email', u.email, 'emails', u.emails,
    'displayName', u.display_name, 'givenName', u.given_name, 'familyName', u.family_name,
    'status', case when u.state = 'invited' then (case when u.invite_expires_at > now() then 'pending' else 'expired' end) else u.state end,
    'active', u.state in ('active', 'invited'), 'source', u.source, 'orgRole', u.org_role,
    'department', u.department, 'officeLocation', u.office_location, 'title', u.title, 'phone', u.phone,
    'employeeNumber', u.employee_number, 'managerId', u.manager_id,
    'createdAt', gatehouse_iso(u.created_at), 'updatedAt', gatehouse_iso(u.updated_at), 'lastActiveAt', gatehouse_iso(u.last_active_at),
    'disabledAt', gatehouse_iso(u.disabled_at), 'deletedAt', gatehouse_iso(u.deleted_at), 'purgedAt', gatehouse_iso(u.purged_at),
    'groups', p_groups)
$$;`);
    // A set-returning SQL function of one SELECT: called in FROM, PostgreSQL inlines it into the
    // calling query (planned once with it), where a scalar function with a FROM is planned per query run.
    this.addSql(`create or replace function "gatehouse_user_groups"(p_org uuid, p_user uuid) returns table (groups jsonb) language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', g.id, 'displayName', g.display_name, 'role', m.role) order by g.display_name), '[]'::jsonb)
  from memberships m join groups g on g.id = m.group_id where m.user_id = p_user and m.org_id = p_org
$$;`);
    // Same result as before, from the two parts above (one rendering for the row and the set-based paths).
    this.addSql(`create or replace function "gatehouse_user_resource"(p_org uuid, p_id text) returns jsonb language sql stable as $$
  select gatehouse_user_json(u, ug.groups)
  -- By primary key first, then the org check (see Migration20261130062000_event_triggers).
  from (select * from users where id = gatehouse_uuid(p_id) offset 0) u
  cross join lateral gatehouse_user_groups(u.org_id, u.id) ug
  where u.org_id = p_org
$$;`);
    // The row trigger's actor and source (issue 8: scim, saml, csv, admin, system), for the set-based path.
    this.addSql(`create or replace function "gatehouse_event_actor"(a audit_events) returns jsonb language sql immutable as $$
  select jsonb_build_object('type', a.actor_type, 'id', a.actor_id, 'label', a.actor_label)
$$;`);
    this.addSql(`create or replace function "gatehouse_event_source"(a audit_events) returns text language sql immutable as $$
  select case
      when a.actor_type = 'scim_token' then 'scim'
      when a.details->>'source' = 'csv' or a.actor_label like 'csv:%' then 'csv'
      when a.action like 'sso.%' or a.actor_label like 'saml:%' or a.details->>'source' = 'saml-jit' or a.details->>'method' = 'saml' then 'saml'
      when a.actor_type in ('admin_token', 'cli', 'user') then 'admin'
      else 'system'
    end
$$;`);
    this.addSql(`create or replace function "gatehouse_audit_rows_to_events"() returns trigger language plpgsql as $$
begin
  -- Most statements write one audit row of another action: a look at the transition table is far
  -- cheaper than starting the plan below for nothing.
  if not exists (select from added where action in (${SET_BASED})) then
    return null;
  end if;
  insert into events (id, org_id, seq, position, type, occurred_at, published_at, actor, source, subject_type, subject_id, resource, data, audit_id, request_id)
  with audit as materialized (
    -- Actor and source once per audit row, before the fan-out: a group.updated lists thousands of
    -- members in its details, and reading them again for each membership event decompressed the
    -- whole list thousands of times.
    select x.id, x.org_id, x.at, x.request_id, x.action, x.target_id, x.target_label, x.details,
      gatehouse_event_actor(x) as actor, gatehouse_event_source(x) as source
    from added x where x.action in (${SET_BASED}))
  select gen_random_uuid(), e.org_id, nextval('events_seq'), null, e.type, e.at, null, e.actor, e.source, e.subject_type, e.subject_id, e.resource, e.data, e.audit_id, e.request_id
  from (
    -- A person created or changed: as they now are (their groups included). An org role or permission
    -- change is, for the product, an update of the user.
    select case when a.action = 'user.created' then 0 else 1 end as stage, a.id as audit_id, 0 as part, 0::bigint as n, a.org_id, a.at, a.request_id, a.actor, a.source,
      case when a.action = 'user.access_changed' then 'user.updated' else a.action end as type, 'user' as subject_type, a.target_id as subject_id,
      r.res as resource,
      -- As the row trigger: the field changes, before and after, then the rest of the details.
      (case when jsonb_typeof(a.details->'changes') = 'object' and a.details->'changes' <> '{}'::jsonb
            then jsonb_build_object('changes', gatehouse_changes(a.details->'changes', r.res)) else '{}'::jsonb end)
        || (coalesce(a.details, '{}'::jsonb) - 'changes' - 'source' - 'active') as data
    from audit a
    -- Each row fetched by its key (see gatehouse_user_resource): joined on the org as well, a planner
    -- without statistics (a fresh table, a first big import) walks the org's index once per audit row.
    left join lateral (select * from users where id = gatehouse_uuid(a.target_id) offset 0) u on u.org_id = a.org_id
    left join lateral gatehouse_user_groups(u.org_id, u.id) ug on u.id is not null
    cross join lateral (select case when u.id is null then jsonb_build_object('id', a.target_id) else gatehouse_user_json(u, ug.groups) end as res) r
    where a.action in (${USER_ACTIONS})
    union all
    -- group.updated: the group's own event when its attributes changed (a membership-only change has none).
    select 1, a.id, 1, 0, a.org_id, a.at, a.request_id, a.actor, a.source,
      'group.updated', 'group', a.target_id, r.res,
      jsonb_build_object('changes', gatehouse_changes(a.details->'changes', r.res))
    from audit a
    cross join lateral (select coalesce(gatehouse_group_resource(a.org_id, a.target_id), jsonb_build_object('id', a.target_id, 'displayName', a.target_label)) as res) r
    where a.action = 'group.updated' and jsonb_typeof(a.details->'changes') = 'object' and a.details->'changes' <> '{}'::jsonb
    union all
    -- Then one membership event per member added, then per member removed, in the order the audit lists them.
    select 1, a.id, case l.kind when 'membership.added' then 2 else 3 end, l.n, a.org_id, a.at, a.request_id, a.actor, a.source,
      l.kind, 'membership', l.member,
      jsonb_build_object(
        'group', case when g.id is null then jsonb_build_object('id', a.target_id, 'displayName', a.target_label)
                      else jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id) end,
        'user', case when u.id is null then jsonb_build_object('id', l.member) else gatehouse_user_json(u, ug.groups) end,
        -- The membership's role is in the person's group list (none once removed).
        'role', (select x->>'role' from jsonb_array_elements(ug.groups) x where x->>'id' = g.id::text)),
      '{}'::jsonb
    from audit a
    cross join lateral (
      select 'membership.added' as kind, x.member, x.n from jsonb_array_elements_text(case when jsonb_typeof(a.details->'membersAdded') = 'array' then a.details->'membersAdded' else '[]'::jsonb end) with ordinality x(member, n)
      union all
      select 'membership.removed', x.member, x.n from jsonb_array_elements_text(case when jsonb_typeof(a.details->'membersRemoved') = 'array' then a.details->'membersRemoved' else '[]'::jsonb end) with ordinality x(member, n)
    ) l
    left join lateral (select * from groups where id = gatehouse_uuid(a.target_id) offset 0) g on g.org_id = a.org_id
    left join lateral (select * from users where id = gatehouse_uuid(l.member) offset 0) u on u.org_id = a.org_id
    left join lateral gatehouse_user_groups(u.org_id, u.id) ug on u.id is not null
    where a.action = 'group.updated'
    -- The people a statement creates come before its other changes, group changes that name them as
    -- members among them (a bulk import's one statement writes the groups' audit rows first); then audit order.
    order by stage, audit_id, part, n
  ) e;
  return null;
end
$$;`);
    this.addSql(`create trigger "audit_events_to_events_set" after insert on "audit_events" referencing new table as added for each statement execute function "gatehouse_audit_rows_to_events"();`);
    this.addSql(`drop trigger "audit_events_to_events" on "audit_events";`);
    this.addSql(`create trigger "audit_events_to_events" after insert on "audit_events" for each row when (new.action not in (${SET_BASED})) execute function "gatehouse_audit_to_events"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "audit_events_to_events_set" on "audit_events";`);
    this.addSql(`drop trigger if exists "audit_events_to_events" on "audit_events";`);
    this.addSql(`create trigger "audit_events_to_events" after insert on "audit_events" for each row execute function "gatehouse_audit_to_events"();`);
    this.addSql(`drop function if exists "gatehouse_audit_rows_to_events"();`);
    this.addSql(`drop function if exists "gatehouse_event_source"(audit_events);`);
    this.addSql(`drop function if exists "gatehouse_event_actor"(audit_events);`);
    // gatehouse_user_resource keeps its two parts (same result as before).
  }

}
