import { Migration } from '@mikro-orm/migrations';

/**
 * Membership events by the statement-level trigger (CSV imports audit like the
 * admin API). A membership change is audited once per membership
 * (`membership.added`, `membership.removed`, `membership.role_changed`: target
 * the person, details groupId, groupName, role, source — directory/
 * membership-changes.ts), and a CSV import's bulk path now writes thousands of
 * `membership.added` rows in one statement instead of one `group.updated`
 * listing the members. The row trigger renders each with a few SQL-function
 * calls planned again in every transaction (Migration20261130120000 measured
 * ~0.35 ms per event: a 100,000-membership import would pay it 100,000
 * times), so these three actions move to the statement-level trigger, one
 * INSERT … SELECT per statement with the rows fetched by key. Same events as
 * the row trigger gave (gatehouse_membership_resource: the group without
 * memberCount, the person as they now are, the role from the details or the
 * membership; data: the details without groupId, groupName, changes and role,
 * plus `changes` before/after), in audit order: all three move together so a
 * statement mixing adds, role changes and removals (PUT …/memberships) keeps
 * its order. The row trigger's membership branch is no longer reached.
 */
const USER_ACTIONS = ['user.created', 'user.updated', 'user.disabled', 'user.reactivated', 'user.deleted', 'user.restored', 'user.access_changed']
  .map((a) => `'${a}'`).join(', ');
const MEMBERSHIP_ACTIONS = ['membership.added', 'membership.removed', 'membership.role_changed'].map((a) => `'${a}'`).join(', ');
const OLD_SET_BASED = `${USER_ACTIONS}, 'group.updated'`;
const SET_BASED = `${OLD_SET_BASED}, ${MEMBERSHIP_ACTIONS}`;

/** Migration20261130151000's branches, verbatim but for the actions whose audit rows the statement takes. */
const people = (setBased: string) => `  insert into events (id, org_id, seq, position, type, occurred_at, published_at, actor, source, subject_type, subject_id, resource, data, audit_id, request_id)
  with audit as materialized (
    -- Actor and source once per audit row, before the fan-out: a group.updated lists thousands of
    -- members in its details, and reading them again for each membership event decompressed the
    -- whole list thousands of times.
    select x.id, x.org_id, x.at, x.request_id, x.action, x.target_id, x.target_label, x.details,
      gatehouse_event_actor(x) as actor, gatehouse_event_source(x) as source
    from added x where x.action in (${setBased}))
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
`;

const GROUPS_AND_MEMBERSHIPS = `    union all
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
`;

const MEMBERSHIPS = `    union all
    -- One event per membership audit row (as the row trigger's gatehouse_membership_resource renders it).
    select 1, a.id, 0, 0, a.org_id, a.at, a.request_id, a.actor, a.source,
      a.action, 'membership', a.target_id, r.res,
      (coalesce(a.details, '{}'::jsonb) - 'groupId' - 'groupName' - 'changes' - 'role')
        || case when jsonb_typeof(a.details->'changes') = 'object' and a.details->'changes' <> '{}'::jsonb
                then jsonb_build_object('changes', gatehouse_changes(a.details->'changes', r.res)) else '{}'::jsonb end
    from audit a
    left join lateral (select * from groups where id = gatehouse_uuid(a.details->>'groupId') offset 0) g on g.org_id = a.org_id
    left join lateral (select * from users where id = gatehouse_uuid(a.target_id) offset 0) u on u.org_id = a.org_id
    left join lateral gatehouse_user_groups(u.org_id, u.id) ug on u.id is not null
    cross join lateral (select jsonb_build_object(
        'group', case when g.id is null then jsonb_build_object('id', a.details->>'groupId', 'displayName', a.details->>'groupName')
                      else jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id) end,
        'user', case when u.id is null then jsonb_build_object('id', a.target_id) else gatehouse_user_json(u, ug.groups) end,
        'role', coalesce(a.details->>'role', (select m.role from (select * from memberships where group_id = gatehouse_uuid(a.details->>'groupId')
                                                and user_id = gatehouse_uuid(a.target_id) offset 0) m where m.org_id = a.org_id))) as res) r
    where a.action in (${MEMBERSHIP_ACTIONS})
`;

const ORDER = `    -- The people a statement creates come before its other changes, group changes that name them as
    -- members among them (a bulk import's one statement writes the groups' audit rows first); then audit order.
    order by stage, audit_id, part, n

  ) e;`;

function triggerFunction(setBased: string, body: string): string {
  return `create or replace function "gatehouse_audit_rows_to_events"() returns trigger language plpgsql as $$
begin
  -- Most statements write one audit row of another action: a look at the transition table is far
  -- cheaper than starting the plan below for nothing.
  if not exists (select from added where action in (${setBased})) then
    return null;
  end if;
${body}
  return null;
end
$$;`;
}

export class Migration20261130180000_membership_events_set_based extends Migration {

  override name = 'Migration20261130180000_membership_events_set_based';

  override up(): void | Promise<void> {
    // People alone when the statement has no group or membership row (most SCIM and admin writes), else every branch.
    this.addSql(triggerFunction(SET_BASED, `  if not exists (select from added where action in ('group.updated', ${MEMBERSHIP_ACTIONS})) then
${people(SET_BASED)}${ORDER}
    return null;
  end if;
${people(SET_BASED)}${GROUPS_AND_MEMBERSHIPS}${MEMBERSHIPS}${ORDER}`));
    this.addSql(`drop trigger "audit_events_to_events" on "audit_events";`);
    this.addSql(`create trigger "audit_events_to_events" after insert on "audit_events" for each row when (new.action not in (${SET_BASED})) execute function "gatehouse_audit_to_events"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(triggerFunction(OLD_SET_BASED, `  if not exists (select from added where action = 'group.updated') then
${people(OLD_SET_BASED)}${ORDER}
    return null;
  end if;
${people(OLD_SET_BASED)}${GROUPS_AND_MEMBERSHIPS}${ORDER}`));
    this.addSql(`drop trigger "audit_events_to_events" on "audit_events";`);
    this.addSql(`create trigger "audit_events_to_events" after insert on "audit_events" for each row when (new.action not in (${OLD_SET_BASED})) execute function "gatehouse_audit_to_events"();`);
  }

}
