import { Migration } from '@mikro-orm/migrations';

const USER_JSON = (profile: boolean) => `create or replace function "gatehouse_user_json"(u users, p_groups jsonb) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'id', u.id, 'userName', u.user_name, 'externalId', u.external_id, 'email', u.email, 'emails', u.emails,
    'displayName', u.display_name, 'givenName', u.given_name, 'familyName', u.family_name,${profile ? `
    'middleName', u.middle_name, 'nickName', u.nick_name,
    'honorificPrefix', u.honorific_prefix, 'honorificSuffix', u.honorific_suffix, 'userType', u.user_type,` : ''}
    'status', case when u.state = 'invited' then (case when u.invite_expires_at > now() then 'pending' else 'expired' end) else u.state end,
    'active', u.state in ('active', 'invited'), 'source', u.source, 'orgRole', u.org_role,
    'department', u.department, 'officeLocation', u.office_location, 'title', u.title, 'phone', u.phone,${profile ? `
    'phoneNumbers', u.phone_numbers, 'division', u.division, 'organization', u.organization, 'costCenter', u.cost_center,
    'preferredLanguage', u.preferred_language, 'locale', u.locale, 'timezone', u.timezone,` : ''}
    'employeeNumber', u.employee_number, 'managerId', u.manager_id,
    'manager', case when u.manager_id is not null then gatehouse_user_manager(u.org_id, u.manager_id) end,
    'createdAt', gatehouse_iso(u.created_at), 'updatedAt', gatehouse_iso(u.updated_at), 'lastActiveAt', gatehouse_iso(u.last_active_at),
    'disabledAt', gatehouse_iso(u.disabled_at), 'deletedAt', gatehouse_iso(u.deleted_at), 'purgedAt', gatehouse_iso(u.purged_at),
    'groups', p_groups)
$$;`;

/**
 * A person in the change feed (user.* events, and the `user` of membership, invitation and
 * session events) gains the profile fields the admin API shows and edits (GET/PATCH
 * /users/:id) that it lacked: `middleName`, `nickName`, `division`, `organization`,
 * `costCenter`, `preferredLanguage`, `locale`, `timezone`; and, beside `emails`, what only an
 * IdP sets (`honorificPrefix`, `honorificSuffix`, `userType`) and `phoneNumbers` as the IdP or
 * the admin gave them: a change of the profile's phone is recorded as the change of
 * `phoneNumbers` it is (directory/users.ts describeChanges). A consumer keeping people from the
 * feed saw a `user.updated` whose only change named a field its resource did not have; now every
 * column-backed field a change can name is in the resource (the raw `scimAttributes` are not). No
 * key is removed.
 *
 * gatehouse_user_json stays one expression with no sub-query, so PostgreSQL still inlines it
 * (Migration20261130120000_set_based_events).
 */
export class Migration20261201130000_user_json_profile extends Migration {

  override name = 'Migration20261201130000_user_json_profile';

  override up(): void | Promise<void> {
    this.addSql(USER_JSON(true));
  }

  override down(): void | Promise<void> {
    this.addSql(USER_JSON(false));
  }

}
