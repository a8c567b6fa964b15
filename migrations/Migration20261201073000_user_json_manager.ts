import { Migration } from '@mikro-orm/migrations';

const USER_JSON = (manager: boolean) => `create or replace function "gatehouse_user_json"(u users, p_groups jsonb) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'id', u.id, 'userName', u.user_name, 'externalId', u.external_id, 'email', u.email, 'emails', u.emails,
    'displayName', u.display_name, 'givenName', u.given_name, 'familyName', u.family_name,
    'status', case when u.state = 'invited' then (case when u.invite_expires_at > now() then 'pending' else 'expired' end) else u.state end,
    'active', u.state in ('active', 'invited'), 'source', u.source, 'orgRole', u.org_role,
    'department', u.department, 'officeLocation', u.office_location, 'title', u.title, 'phone', u.phone,
    'employeeNumber', u.employee_number, 'managerId', u.manager_id,${manager ? `
    'manager', case when u.manager_id is not null then gatehouse_user_manager(u.org_id, u.manager_id) end,` : ''}
    'createdAt', gatehouse_iso(u.created_at), 'updatedAt', gatehouse_iso(u.updated_at), 'lastActiveAt', gatehouse_iso(u.last_active_at),
    'disabledAt', gatehouse_iso(u.disabled_at), 'deletedAt', gatehouse_iso(u.deleted_at), 'purgedAt', gatehouse_iso(u.purged_at),
    'groups', p_groups)
$$;`;

/**
 * A person in the change feed (user.* events, and the `user` of membership, invitation and
 * session events) gains `manager`: `{id, displayName}` of the manager as the admin API and SCIM
 * show them (directory/user-record.ts managerSql: of the same org, not deleted), else null.
 * `managerId` stays as it was: the id the IdP gave.
 *
 * gatehouse_user_json stays one expression with no sub-query, so PostgreSQL still inlines it
 * (Migration20261130120000_set_based_events): the lookup is a PL/pgSQL function of its own (its
 * plan kept for the session), called only for people who have a manager — none in a CSV import.
 */
export class Migration20261201073000_user_json_manager extends Migration {

  override name = 'Migration20261201073000_user_json_manager';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "gatehouse_user_manager"(p_org uuid, p_manager text) returns jsonb language plpgsql stable as $$
declare
  found jsonb;
begin
  select jsonb_build_object('id', m.id, 'displayName', m.display_name) into found
  from users m where m.id = gatehouse_uuid(p_manager) and m.org_id = p_org and m.state <> 'deleted';
  return found;
end
$$;`);
    this.addSql(USER_JSON(true));
  }

  override down(): void | Promise<void> {
    this.addSql(USER_JSON(false));
    this.addSql(`drop function if exists "gatehouse_user_manager"(uuid, text);`);
  }

}
