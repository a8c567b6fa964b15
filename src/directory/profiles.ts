import type { Em } from '../db/orm.ts';
import type { UserState } from '../db/entities/index.ts';
import { resolveOrgSettings, type OrgSettings } from './org-settings.ts';

/** One of a person's profiles: the user in one org, with that org's settings. */
export interface PersonProfile {
  userId: string;
  userName: string;
  state: UserState;
  orgId: string;
  orgSlug: string;
  orgName: string;
  settings: OrgSettings;
}

/**
 * A person's profiles (not deleted) in every org, by the lower-cased users.email:
 * what password sign-in, password reset and MFA need, since one password serves them all.
 */
export async function profilesByEmail(em: Em, email: string): Promise<PersonProfile[]> {
  const rows = await em.execute(
    `select u.id, u.user_name, u.state, o.id as org_id, o.slug, o.name, o.settings
     from users u join organizations o on o.id = u.org_id
     where u.email = ? and u.state <> 'deleted' order by o.slug, u.id limit 100`,
    [email],
  );
  return rows.map((row) => ({
    userId: String(row.id),
    userName: String(row.user_name),
    state: row.state as UserState,
    orgId: String(row.org_id),
    orgSlug: String(row.slug),
    orgName: String(row.name),
    settings: resolveOrgSettings(row.settings),
  }));
}
