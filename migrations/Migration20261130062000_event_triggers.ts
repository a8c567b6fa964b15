import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 8: every domain change writes its product event in the same
 * transaction. Every change already writes exactly one audit row in its
 * transaction (CONVENTIONS 9), from many write paths (ORM unit of work,
 * one-statement data-modifying CTEs, raw SQL); an AFTER INSERT trigger on
 * `audit_events` derives the events from that row, so no write path needs to
 * know about events and none can forget one. AFTER triggers fire when the
 * whole statement (every CTE part) is done, so the trigger's own queries see
 * the changed rows and render the resource as it now is.
 *
 * One audit row may give several events (a group update that added members:
 * `group.updated` plus one `membership.added` each; an invitation accepted
 * with a first session). Audit actions without a product meaning (tokens,
 * exports, password resets…) give none.
 */
export class Migration20261130062000_event_triggers extends Migration {

  override name = 'Migration20261130062000_event_triggers';

  override up(): void | Promise<void> {
    this.addSql(`create sequence if not exists "events_seq";`);
    this.addSql(`create or replace function "gatehouse_iso"(t timestamptz) returns text language sql stable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;`);
    // Ids arrive as text (audit target ids, details); a cast of a non-uuid would abort the change itself.
    this.addSql(`create or replace function "gatehouse_uuid"(p text) returns uuid language sql immutable as $$
  select case when p ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then p::uuid end
$$;`);
    // The user as the admin API renders it (src/http/admin/person-view.ts), status derived as in directory/status.ts.
    this.addSql(`create or replace function "gatehouse_user_resource"(p_org uuid, p_id text) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'id', u.id, 'userName', u.user_name, 'externalId', u.external_id, 'email', u.email, 'emails', u.emails,
    'displayName', u.display_name, 'givenName', u.given_name, 'familyName', u.family_name,
    'status', case when u.state = 'invited' then (case when u.invite_expires_at > now() then 'pending' else 'expired' end) else u.state end,
    'active', u.state in ('active', 'invited'), 'source', u.source, 'orgRole', u.org_role,
    'department', u.department, 'officeLocation', u.office_location, 'title', u.title, 'phone', u.phone,
    'employeeNumber', u.employee_number, 'managerId', u.manager_id,
    'createdAt', gatehouse_iso(u.created_at), 'updatedAt', gatehouse_iso(u.updated_at), 'lastActiveAt', gatehouse_iso(u.last_active_at),
    'disabledAt', gatehouse_iso(u.disabled_at), 'deletedAt', gatehouse_iso(u.deleted_at), 'purgedAt', gatehouse_iso(u.purged_at),
    'groups', coalesce((select jsonb_agg(jsonb_build_object('id', g.id, 'displayName', g.display_name, 'role', m.role) order by g.display_name)
                        from memberships m join groups g on g.id = m.group_id where m.user_id = u.id and m.org_id = u.org_id), '[]'::jsonb))
  -- By primary key first, then the org check: with the org in the same WHERE the planner may walk an
  -- (org_id, …) index over every user of the org (it does whenever the statistics are those of a small
  -- table: a fresh install, a first big CSV import), which made each event cost O(org size).
  from (select * from users where id = gatehouse_uuid(p_id) offset 0) u
  where u.org_id = p_org
$$;`);
    this.addSql(`create or replace function "gatehouse_group_resource"(p_org uuid, p_id text) returns jsonb language sql stable as $$
  select jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id, 'description', g.description,
    'source', g.source, 'memberCount', (select count(*) from memberships m where m.group_id = g.id and m.org_id = g.org_id),
    'createdAt', gatehouse_iso(g.created_at), 'updatedAt', gatehouse_iso(g.updated_at))
  from (select * from groups where id = gatehouse_uuid(p_id) offset 0) g -- by key first, as in gatehouse_user_resource
  where g.org_id = p_org
$$;`);
    this.addSql(`create or replace function "gatehouse_invitation_resource"(p_org uuid, p_id text) returns jsonb language sql stable as $$
  select jsonb_build_object('id', i.id, 'email', i.email, 'name', i.name, 'invitedBy', i.invited_by_label,
    'createdAt', gatehouse_iso(i.created_at), 'expiresAt', gatehouse_iso(i.expires_at),
    'acceptedAt', gatehouse_iso(i.accepted_at), 'revokedAt', gatehouse_iso(i.revoked_at),
    'user', gatehouse_user_resource(p_org, i.user_id::text))
  from (select * from invitations where id = gatehouse_uuid(p_id) offset 0) i -- by key first, as in gatehouse_user_resource
  where i.org_id = p_org
$$;`);
    this.addSql(`create or replace function "gatehouse_membership_resource"(p_org uuid, p_group text, p_group_label text, p_user text, p_role text) returns jsonb language sql stable as $$
  select jsonb_build_object(
    -- The group without memberCount: a bulk change of N members would count the group N times.
    'group', coalesce((select jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id) from (select * from groups where id = gatehouse_uuid(p_group) offset 0) g
                       where g.org_id = p_org), jsonb_build_object('id', p_group, 'displayName', p_group_label)),
    'user', coalesce(gatehouse_user_resource(p_org, p_user), jsonb_build_object('id', p_user)),
    'role', coalesce(p_role, (select m.role from (select * from memberships where group_id = gatehouse_uuid(p_group) and user_id = gatehouse_uuid(p_user) offset 0) m
                              where m.org_id = p_org)))
$$;`);
    // changes: {field: {before, after}}. The audit keeps before/after ({from, to}) for scalar fields; for
    // list and object fields (emails, phone numbers) it only names the field, so "after" comes from the resource.
    this.addSql(`create or replace function "gatehouse_changes"(changes jsonb, res jsonb) returns jsonb language sql immutable as $$
  select coalesce(jsonb_object_agg(c.key, case
           when jsonb_typeof(c.value) = 'object' and (c.value->'from') is not null then jsonb_build_object('before', c.value->'from', 'after', c.value->'to')
           else jsonb_build_object('after', res->c.key) end), '{}'::jsonb)
  from jsonb_each(changes) c
$$;`);
    // The audit row's fields come in one by one: passing the row itself would hand every event of a bulk
    // change (a group.updated listing 5,000 new members) the whole details value to decompress again.
    this.addSql(`create or replace function "gatehouse_emit"(p_org uuid, p_at timestamptz, p_actor jsonb, p_source text, p_audit bigint, p_request text, p_type text, p_subject_type text, p_subject_id text, p_resource jsonb, p_data jsonb) returns void language sql as $$
  insert into events (id, org_id, seq, position, type, occurred_at, published_at, actor, source, subject_type, subject_id, resource, data, audit_id, request_id)
  values (gen_random_uuid(), p_org, nextval('events_seq'), null, p_type, p_at, null, p_actor, p_source,
    p_subject_type, p_subject_id, p_resource, coalesce(p_data, '{}'::jsonb), p_audit, p_request)
$$;`);
    this.addSql(`create or replace function "gatehouse_audit_to_events"() returns trigger language plpgsql as $$
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
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'invitation.accepted', 'user', a.target_id, gatehouse_user_resource(a.org_id, a.target_id), jsonb_build_object('via', 'saml'));
    when 'invitation.created', 'invitation.resent', 'invitation.accepted', 'invitation.revoked', 'invitation.expired' then
      perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id,
        case a.action when 'invitation.created' then 'invitation.sent' when 'invitation.resent' then 'invitation.sent' else a.action end,
        'user', a.target_id,
        coalesce(gatehouse_invitation_resource(a.org_id, d->>'invitationId'), jsonb_build_object('user', gatehouse_user_resource(a.org_id, a.target_id))),
        jsonb_build_object('resent', a.action = 'invitation.resent'));
      if a.action = 'invitation.accepted' and d->>'sessionId' is not null then
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'session.started', 'user', a.target_id,
          jsonb_build_object('id', d->>'sessionId', 'method', 'invitation', 'user', gatehouse_user_resource(a.org_id, a.target_id)), '{}'::jsonb);
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
    when 'group.created', 'group.updated', 'group.deleted' then
      if a.action <> 'group.updated' or changes <> '{}'::jsonb then
        res := coalesce(gatehouse_group_resource(a.org_id, a.target_id), jsonb_build_object('id', a.target_id, 'displayName', a.target_label));
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, a.action, 'group', a.target_id, res,
          case when changes <> '{}'::jsonb then jsonb_build_object('changes', gatehouse_changes(changes, res)) else '{}'::jsonb end);
      end if;
      for member in select jsonb_array_elements_text(case when jsonb_typeof(d->'membersAdded') = 'array' then d->'membersAdded' else '[]'::jsonb end) loop
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'membership.added', 'membership', member, gatehouse_membership_resource(a.org_id, a.target_id, a.target_label, member, null), '{}'::jsonb);
      end loop;
      for member in select jsonb_array_elements_text(case when jsonb_typeof(d->'membersRemoved') = 'array' then d->'membersRemoved' else '[]'::jsonb end) loop
        perform gatehouse_emit(a.org_id, a.at, v_actor, v_source, a.id, a.request_id, 'membership.removed', 'membership', member, gatehouse_membership_resource(a.org_id, a.target_id, a.target_label, member, null), '{}'::jsonb);
      end loop;
    when 'membership.added', 'membership.removed', 'membership.role_changed' then
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
$$;`);
    this.addSql(`create trigger "audit_events_to_events" after insert on "audit_events" for each row execute function "gatehouse_audit_to_events"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "audit_events_to_events" on "audit_events";`);
    this.addSql(`drop function if exists "gatehouse_audit_to_events"();`);
    this.addSql(`drop function if exists "gatehouse_emit"(uuid, timestamptz, jsonb, text, bigint, text, text, text, text, jsonb, jsonb);`);
    this.addSql(`drop function if exists "gatehouse_changes"(jsonb, jsonb);`);
    this.addSql(`drop function if exists "gatehouse_membership_resource"(uuid, text, text, text, text);`);
    this.addSql(`drop function if exists "gatehouse_invitation_resource"(uuid, text);`);
    this.addSql(`drop function if exists "gatehouse_group_resource"(uuid, text);`);
    this.addSql(`drop function if exists "gatehouse_user_resource"(uuid, text);`);
    this.addSql(`drop function if exists "gatehouse_iso"(timestamptz);`);
    this.addSql(`drop function if exists "gatehouse_uuid"(text);`);
    this.addSql(`drop sequence if exists "events_seq";`);
  }

}
