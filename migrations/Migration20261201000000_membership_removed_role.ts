import { Migration } from '@mikro-orm/migrations';

/**
 * A `membership.removed` of a SCIM group's member now carries, in
 * `resource.role`, the role the membership had, as the admin API's removals
 * always did (their audit row has `role`). Both triggers rendered it from the
 * person's current group list, which no longer holds the group once the row is
 * gone, so it was null: the statement-level one for a PATCH or PUT
 * (`group.updated` with `membersRemoved`, Migration20261130180000) and the row
 * one for a DELETE (`group.deleted`, Migration20261130190000). The SCIM writes
 * now record the roles in the same audit row, `membersRemovedRoles`
 * ({userId: role}; directory/groups.ts), and the triggers read them there.
 * Audit rows written before have none: their events keep `role: null`.
 *
 * Each function is rewritten in place (pg_get_functiondef, one fragment
 * replaced), not restated whole: the rest of both is long and unchanged. A
 * fragment that is not found stops the migration rather than skipping it.
 */
const STATEMENT_BEFORE = `        -- The membership's role is in the person's group list (none once removed).
        'role', (select x->>'role' from jsonb_array_elements(ug.groups) x where x->>'id' = g.id::text)),`;
const STATEMENT_AFTER = `        -- The membership's role: a removed one's from the audit row (membersRemovedRoles), else the
        -- person's group list (which no longer holds a removed membership).
        'role', coalesce(case when l.kind = 'membership.removed' then a.details->'membersRemovedRoles'->>l.member end,
          (select x->>'role' from jsonb_array_elements(ug.groups) x where x->>'id' = g.id::text))),`;

const ROW_BEFORE = `              'role', null) as res`;
const ROW_AFTER = `              'role', d->'membersRemovedRoles'->>x.member) as res`;

function patchFunction(name: string, from: string, to: string): string {
  return `do $patch$
declare
  def text := pg_get_functiondef('${name}'::regproc);
begin
  if position($from$${from}$from$ in def) = 0 then
    raise exception '${name}: the fragment to replace was not found';
  end if;
  execute replace(def, $from$${from}$from$, $to$${to}$to$);
end
$patch$;`;
}

export class Migration20261201000000_membership_removed_role extends Migration {

  override name = 'Migration20261201000000_membership_removed_role';

  override up(): void | Promise<void> {
    this.addSql(patchFunction('gatehouse_audit_rows_to_events', STATEMENT_BEFORE, STATEMENT_AFTER));
    this.addSql(patchFunction('gatehouse_audit_to_events', ROW_BEFORE, ROW_AFTER));
  }

  override down(): void | Promise<void> {
    this.addSql(patchFunction('gatehouse_audit_rows_to_events', STATEMENT_AFTER, STATEMENT_BEFORE));
    this.addSql(patchFunction('gatehouse_audit_to_events', ROW_AFTER, ROW_BEFORE));
  }

}
