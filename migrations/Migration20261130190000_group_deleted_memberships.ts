import { Migration } from '@mikro-orm/migrations';

/**
 * A group deleted over SCIM ends its memberships in the feed as a forced
 * delete through the admin API does: one `membership.removed` per member
 * (data `reason: "group_deleted"`), then `group.deleted`. The SCIM write stays
 * one audit event: `group.deleted` lists the members in `membersRemoved`
 * (directory/groups.ts deleteGroup), and the row trigger fans them out before
 * the group's own event. Before, `group.deleted` was the only event and a
 * product following the feed had to infer that its members had lost it.
 *
 * Those events, and the `membership.added` of the members a group is created
 * with, are written by one INSERT … SELECT each instead of a loop of
 * per-member function calls (~1.3 ms a member: a group of 5,000 took 6.7 s).
 *
 * And two renderings the feed had wrong: `invitation.accepted` from a SAML
 * sign-in carried the user where every other one carries the invitation with
 * its `user`, and the `session.started` of a registration had no
 * `endedSessions`.
 * The row trigger's function is Migration20261130062000's but for its group branch.
 */
const HEAD = `    when 'group.created', 'group.updated', 'group.deleted' then
`;

/** The group's own event, as Migration20261130062000 emits it. */
const GROUP_EVENT = `      if a.action <> 'group.updated' or changes <> '{}'::jsonb then
        res := coalesce(gatehouse_group_resource(a.org_id, a.target_id), jsonb_build_object('id', a.target_id, 'displayName', a.target_label));
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, a.action, 'group', a.target_id, res,
          case when changes <> '{}'::jsonb then jsonb_build_object('changes', gatehouse_changes(changes, res)) else '{}'::jsonb end);
      end if;
`;

const BEFORE = `${HEAD}${GROUP_EVENT}      for member in select jsonb_array_elements_text(case when jsonb_typeof(d->'membersAdded') = 'array' then d->'membersAdded' else '[]'::jsonb end) loop
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'membership.added', 'membership', member, gatehouse_membership_resource(a.org_id, a.target_id, a.target_label, member, null), '{}'::jsonb);
      end loop;
      for member in select jsonb_array_elements_text(case when jsonb_typeof(d->'membersRemoved') = 'array' then d->'membersRemoved' else '[]'::jsonb end) loop
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'membership.removed', 'membership', member, gatehouse_membership_resource(a.org_id, a.target_id, a.target_label, member, null), '{}'::jsonb);
      end loop;
`;

/**
 * One membership event per id listed in the audit row's `key` (membersAdded,
 * membersRemoved), in list order, each person fetched by key and rendered as
 * they now are (gatehouse_user_json), as the statement-level trigger renders
 * a group.updated's members.
 */
function memberEvents(type: string, key: string, group: string, role: string, data: string): string {
  return `        insert into events (id, org_id, seq, position, type, occurred_at, published_at, actor, source, subject_type, subject_id, resource, data, audit_id, request_id)
        select gen_random_uuid(), a.org_id, nextval('events_seq'), null, '${type}', a.at, null, v_actor, v_source, 'membership', m.member, m.res, ${data}, a.id, a.request_id
        from (
          select x.member, jsonb_build_object(
              'group', ${group},
              'user', case when u.id is null then jsonb_build_object('id', x.member) else gatehouse_user_json(u, ug.groups) end,
              'role', ${role}) as res
          from jsonb_array_elements_text(case when jsonb_typeof(d->'${key}') = 'array' then d->'${key}' else '[]'::jsonb end) with ordinality x(member, n)
          left join lateral (select * from users where id = gatehouse_uuid(x.member) offset 0) u on u.org_id = a.org_id
          left join lateral gatehouse_user_groups(u.org_id, u.id) ug on u.id is not null
          order by x.n
        ) m;
`;
}

// group.updated never reaches this trigger (Migration20261130180000: the statement-level one renders it),
// so the members are those a group is created with (membersAdded) or loses with it (membersRemoved).
const AFTER = `${HEAD}      -- One INSERT … SELECT for the members: a loop of gatehouse_membership_resource calls took ~1.3 ms a
      -- member (6.7 s for a group of 5,000; 0.5 s this way).
      if a.action = 'group.deleted' then
        -- A deleted group's members lose their membership first, as a forced delete through the admin API
        -- has them (a membership.removed each, reason group_deleted), then the group goes.
${memberEvents('membership.removed', 'membersRemoved', `jsonb_build_object('id', a.target_id, 'displayName', a.target_label)`, 'null', `jsonb_build_object('reason', 'group_deleted')`)}      end if;
${GROUP_EVENT}      if a.action = 'group.created' then
${memberEvents('membership.added', 'membersAdded',
    `coalesce((select jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id) from (select * from groups where id = gatehouse_uuid(a.target_id) offset 0) g where g.org_id = a.org_id), jsonb_build_object('id', a.target_id, 'displayName', a.target_label))`,
    `(select r->>'role' from jsonb_array_elements(ug.groups) r where r->>'id' = a.target_id)`, `'{}'::jsonb`)}      end if;
`;

/** An invited person signing in over SAML accepts the invitation: the event renders the invitation with its user, as a registration's does. */
const ACTIVATED_BEFORE = `      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'invitation.accepted', 'user', a.target_id, gatehouse_user_resource(a.org_id, a.target_id), jsonb_build_object('via', 'saml'));`;
const ACTIVATED_AFTER = `      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'invitation.accepted', 'user', a.target_id,
        coalesce(gatehouse_invitation_resource(a.org_id, d->>'invitationId'), jsonb_build_object('user', gatehouse_user_resource(a.org_id, a.target_id))),
        jsonb_build_object('via', 'saml'));`;

/** The session a registration starts has endedSessions, as every other session.started. */
const SESSION_BEFORE = `'{}'::jsonb`;
const SESSION_AFTER = `jsonb_build_object('endedSessions', coalesce(d->'endedSessions', '[]'::jsonb))`;

interface Parts {
  group: string;
  activated: string;
  sessionData: string;
}

function rowTrigger(parts: Parts): string {
  return `create or replace function "gatehouse_audit_to_events"() returns trigger language plpgsql as $$
declare
  a audit_events := new;
  d jsonb := coalesce(new.details, '{}'::jsonb);
  member text;
  res jsonb;
  changes jsonb := case when jsonb_typeof(d->'changes') = 'object' then d->'changes' else '{}'::jsonb end;
  v_actor jsonb := jsonb_build_object('type', new.actor_type, 'id', new.actor_id, 'label', new.actor_label);
  -- Which door the change came through (issue 8: scim, saml, csv, admin, system).
  v_source text := case
      when new.actor_type = 'scim_token' then 'scim'
      when d->>'source' = 'csv' or new.actor_label like 'csv:%' then 'csv'
      when new.action like 'sso.%' or new.actor_label like 'saml:%' or d->>'source' = 'saml-jit' or d->>'method' = 'saml' then 'saml'
      when new.actor_type in ('admin_token', 'cli', 'user') then 'admin'
      else 'system'
    end;
begin
  case a.action
    when 'user.created', 'user.updated', 'user.disabled', 'user.reactivated', 'user.deleted', 'user.restored', 'user.purged', 'user.access_changed' then
      if a.action = 'user.purged' then
        -- The person's data leaves the feed with them: earlier events about or by them keep only ids.
        update events set resource = jsonb_build_object('id', subject_id, 'status', 'deleted', 'purged', true), data = '{}'::jsonb
          where org_id = a.org_id and subject_id = a.target_id;
        update events set actor = jsonb_build_object('type', actor->>'type', 'id', actor->>'id', 'label', '[purged]')
          where org_id = a.org_id and actor->>'id' = a.target_id;
      end if;
      res := coalesce(gatehouse_user_resource(a.org_id, a.target_id), jsonb_build_object('id', a.target_id));
      changes := gatehouse_changes(changes, res);
      -- An org role or permission change is, for the product, an update of the user.
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, case when a.action = 'user.access_changed' then 'user.updated' else a.action end, 'user', a.target_id, res,
        (case when changes <> '{}'::jsonb then jsonb_build_object('changes', changes) else '{}'::jsonb end)
          || (d - 'changes' - 'source' - 'active'));
    when 'user.activated' then
      -- An invited person signing in over SAML (JIT) accepts the invitation.
${parts.activated}
    when 'invitation.created', 'invitation.resent', 'invitation.accepted', 'invitation.revoked', 'invitation.expired' then
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id,
        case a.action when 'invitation.created' then 'invitation.sent' when 'invitation.resent' then 'invitation.sent' else a.action end,
        'user', a.target_id,
        coalesce(gatehouse_invitation_resource(a.org_id, d->>'invitationId'), jsonb_build_object('user', gatehouse_user_resource(a.org_id, a.target_id))),
        jsonb_build_object('resent', a.action = 'invitation.resent'));
      if a.action = 'invitation.accepted' and d->>'sessionId' is not null then
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'session.started', 'user', a.target_id,
          jsonb_build_object('id', d->>'sessionId', 'method', 'invitation', 'user', gatehouse_user_resource(a.org_id, a.target_id)), ${parts.sessionData});
      end if;
    when 'auth.login', 'sso.login', 'auth.mfa_verified', 'auth.mfa_recovery_used', 'auth.mfa_enrolled' then
      if d->>'sessionId' is not null then
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'session.started', 'user', a.target_id,
          jsonb_build_object('id', d->>'sessionId', 'method', case when a.action = 'sso.login' then 'saml' else coalesce(d->>'method', 'password') end,
            'user', gatehouse_user_resource(a.org_id, a.target_id)),
          jsonb_build_object('endedSessions', coalesce(d->'endedSessions', '[]'::jsonb)));
      end if;
    when 'sso.failed' then
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'sso.failed', a.target_type, a.target_id,
        jsonb_build_object('connection', jsonb_build_object('id', a.target_id, 'name', a.target_label), 'reason', d->>'reason', 'detail', d->>'detail'), '{}'::jsonb);
    when 'license.seat_refused' then
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'license.exhausted', a.target_type, a.target_id,
        jsonb_build_object('seatLimit', d->'seatLimit', 'active', d->'active', 'via', d->>'via',
          'user', case when a.target_id is null then jsonb_build_object('userName', d->>'userName') else gatehouse_user_resource(a.org_id, a.target_id) end), '{}'::jsonb);
${parts.group}    when 'membership.added', 'membership.removed', 'membership.role_changed' then
      -- One audit row per membership (directory/membership-changes.ts: target the user; details groupId,
      -- groupName, role, source, changes). membership.source_changed has no product meaning.
      res := gatehouse_membership_resource(a.org_id, d->>'groupId', d->>'groupName', a.target_id, d->>'role');
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, a.action, 'membership', a.target_id, res,
        (d - 'groupId' - 'groupName' - 'changes' - 'role')
          || case when changes <> '{}'::jsonb then jsonb_build_object('changes', gatehouse_changes(changes, res)) else '{}'::jsonb end);
    else
      null;
  end case;
  return null;
end
$$;`;
}

export class Migration20261130190000_group_deleted_memberships extends Migration {

  override name = 'Migration20261130190000_group_deleted_memberships';

  override up(): void | Promise<void> {
    this.addSql(rowTrigger({ group: AFTER, activated: ACTIVATED_AFTER, sessionData: SESSION_AFTER }));
  }

  override down(): void | Promise<void> {
    this.addSql(rowTrigger({ group: BEFORE, activated: ACTIVATED_BEFORE, sessionData: SESSION_BEFORE }));
  }

}
