import type { Em } from '../db/orm.ts';
import { getImport, type ImportSummary } from './imports.ts';
import type { Permission } from './permissions.ts';
import type { Scope } from './scope.ts';

/**
 * The permissions committing a previewed import exercises beyond `users.edit`
 * (issue 7): an import must not be a way around a grant. A `disable` or `sync`
 * import, or an upsert whose Status column switches someone off, disables
 * people (`users.disable`); new rows without --no-invite send invitations
 * (`users.invite`); a Status that switches someone back on reactivates
 * (`users.disable`); rows that add memberships or change their roles (a new
 * person's groups are in the row's data: a create's changes are derived, not
 * stored), and `createGroups`, are `groups.manage`'s. Read from the stored preview.
 */
export async function importNeeds(em: Em, scope: Pick<Scope, 'orgId'>, id: string): Promise<Permission[]> {
  return importNeedsOf(em, await getImport(em, scope, id));
}

/** importNeeds for an import already read (its answer carries them as `commitNeeds`). */
export async function importNeedsOf(em: Em, summary: Pick<ImportSummary, 'id' | 'mode' | 'options'>): Promise<Permission[]> {
  const rows = await em.execute(
    `select
       exists (select 1 from csv_import_rows where import_id = ? and (action = 'disable' or changes -> 'status' ->> 'from' = 'disabled' or changes -> 'status' ->> 'to' = 'disabled')) as disables,
       exists (select 1 from csv_import_rows where import_id = ? and action = 'create') as creates,
       exists (select 1 from csv_import_rows where import_id = ? and (changes -> 'groups' is not null or changes -> 'groupRoles' is not null
         or (action = 'create' and jsonb_typeof(data -> 'groups') = 'array' and jsonb_array_length(data -> 'groups') > 0))) as memberships`,
    [summary.id, summary.id, summary.id],
  );
  const needs: Permission[] = [];
  // Switching someone off, or back on (a Status of active or pending for a disabled person), is users.disable's.
  if (summary.mode === 'disable' || summary.mode === 'sync' || rows[0]?.disables === true) needs.push('users.disable');
  if (!summary.options.noInvite && rows[0]?.creates === true) needs.push('users.invite');
  // Memberships (and their roles) are groups.manage's, as POST /groups/:id/members is.
  if (summary.options.createGroups || rows[0]?.memberships === true) needs.push('groups.manage');
  return needs;
}
