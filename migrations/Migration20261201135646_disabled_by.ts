import { Migration } from '@mikro-orm/migrations';

/** Migration20261201130000_user_json_profile's gatehouse_user_json, with `disabledBy` when asked. */
const USER_JSON = (disabledBy: boolean) => `create or replace function "gatehouse_user_json"(u users, p_groups jsonb) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'id', u.id, 'userName', u.user_name, 'externalId', u.external_id, 'email', u.email, 'emails', u.emails,
    'displayName', u.display_name, 'givenName', u.given_name, 'familyName', u.family_name,
    'middleName', u.middle_name, 'nickName', u.nick_name,
    'honorificPrefix', u.honorific_prefix, 'honorificSuffix', u.honorific_suffix, 'userType', u.user_type,
    'status', case when u.state = 'invited' then (case when u.invite_expires_at > now() then 'pending' else 'expired' end) else u.state end,
    'active', u.state in ('active', 'invited'), 'source', u.source, 'orgRole', u.org_role,
    'department', u.department, 'officeLocation', u.office_location, 'title', u.title, 'phone', u.phone,
    'phoneNumbers', u.phone_numbers, 'division', u.division, 'organization', u.organization, 'costCenter', u.cost_center,
    'preferredLanguage', u.preferred_language, 'locale', u.locale, 'timezone', u.timezone,
    'employeeNumber', u.employee_number, 'managerId', u.manager_id,
    'manager', case when u.manager_id is not null then gatehouse_user_manager(u.org_id, u.manager_id) end,
    'createdAt', gatehouse_iso(u.created_at), 'updatedAt', gatehouse_iso(u.updated_at), 'lastActiveAt', gatehouse_iso(u.last_active_at),
    'disabledAt', gatehouse_iso(u.disabled_at),${disabledBy ? ` 'disabledBy', u.disabled_by,` : ''} 'deletedAt', gatehouse_iso(u.deleted_at), 'purgedAt', gatehouse_iso(u.purged_at),
    'groups', p_groups)
$$;`;

/**
 * Who disabled a disabled user (users.disabled_by), so a local disable (an admin's, a CSV's) is not
 * undone by the IdP's next routine `active: true` (directory/users.ts saveUser). Existing disabled
 * users get it from their latest disabling audit event, read as the events trigger reads the door;
 * none found leaves null, which is treated as the IdP's disable (as before this column).
 * A person in the change feed shows it as GET /users/:id does (`disabledBy`).
 */
export class Migration20261201135646_disabled_by extends Migration {

  override name = 'Migration20261201135646_disabled_by';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "disabled_by" text null;`);
    this.addSql(`alter table "users" add constraint "users_disabled_by_check" check ("disabled_by" in ('admin', 'csv', 'scim', 'system'));`);
    this.addSql(`update "users" u set "disabled_by" = (
      select case
          when a.actor_type = 'scim_token' then 'scim'
          when a.door = 'csv' or a.details->>'source' = 'csv' or a.actor_label like 'csv:%' then 'csv'
          when a.actor_type in ('admin_token', 'cli', 'user') then 'admin'
          else 'system'
        end
      from "audit_events" a
      where a.org_id = u.org_id and a.target_id = u.id::text
        and (a.action = 'user.disabled' or (a.action = 'user.created' and a.details->>'active' = 'false'))
      order by a.id desc limit 1)
    where u.disabled_at is not null;`);
    this.addSql(USER_JSON(true));
  }

  override down(): void | Promise<void> {
    this.addSql(USER_JSON(false));
    this.addSql(`alter table "users" drop constraint "users_disabled_by_check";`);
    this.addSql(`alter table "users" drop column "disabled_by";`);
  }

}
