import type { Em } from '../db/orm.ts';
import { uuidv7 } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import type { Scope } from './scope.ts';
import { stateOnReturnSql } from './lifecycle.ts';

/**
 * The groups of a person who was invited and has not registered yet are the
 * plan of their open invitation: registering applies it (invitee-activation.ts),
 * and until then they hold no live membership. An import that names groups
 * for such a person counts the plan as what they have, and adds to the plan.
 */

/**
 * `o(id, user_id)`: each invitee's latest invitation not yet accepted, as a WITH
 * clause with the org as its one parameter. A revoked one counts: a resend revives
 * that same invitation with its plan. So does an invitee disabled before
 * registering (a legacy `disable` file, a sync): reactivated, they are invited again
 * with that invitation (lifecycle.ts stateOnReturn), so its plan is still theirs.
 */
const OPEN = `from invitations i join users u on u.id = i.user_id and u.org_id = i.org_id
  where i.org_id = ? and i.accepted_at is null
    and (u.state = 'invited' or (u.state = 'disabled' and ${stateOnReturnSql('u')} = 'invited'))`;
const LATEST_FIRST = 'i.created_at desc, i.id desc';

export const openInvitationsSql = `with o as (select distinct on (i.user_id) i.id, i.user_id ${OPEN} order by i.user_id, ${LATEST_FIRST})`;

export interface PlannedGroupInput {
  groupId: string;
  groupName: string;
  role: string;
  /** The row changes the role of a group already planned (else a planned group keeps its role). */
  roleChange?: boolean;
}

/**
 * Adds the groups to the invitee's open invitation (a group already planned
 * keeps its role, as a live membership would, unless the row changes it), with one `invitation.updated`
 * event naming the plan before and after. Returns false when the person has no
 * open invitation (the caller then gives live memberships).
 */
export async function addToInvitationPlan(tx: Em, scope: Scope, invitee: { id: string; label: string }, groups: PlannedGroupInput[]): Promise<boolean> {
  // The invitation the preview counted (openInvitationsSql), locked: an acceptance meanwhile either sees the new plan or makes this one none.
  const open = await tx.execute(
    `select i.id ${OPEN} and i.user_id = ? order by ${LATEST_FIRST} limit 1 for update of i`,
    [scope.orgId, invitee.id],
  );
  if (!open[0]) return false;
  if (!groups.length) return true;
  const invitationId = String(open[0].id);
  const plan = async () => (await tx.execute(
    `select g.id, g.display_name, im.role from invitation_memberships im join groups g on g.id = im.group_id and g.org_id = ? where im.invitation_id = ? order by lower(g.display_name), g.id`,
    [scope.orgId, invitationId],
  )).map((r) => ({ groupId: String(r.id), groupName: String(r.display_name), role: String(r.role) }));
  const before = await plan();
  const added = await tx.execute(
    `insert into invitation_memberships (id, invitation_id, group_id, role) values ${groups.map(() => '(?, ?, ?, ?)').join(', ')}
     on conflict (invitation_id, group_id) do nothing returning group_id`,
    groups.flatMap((g) => [uuidv7(), invitationId, g.groupId, g.role]),
  );
  const changing = groups.filter((g) => g.roleChange);
  const changed = changing.length
    ? await tx.execute(
      `update invitation_memberships im set role = v.role from (values ${changing.map(() => '(?::uuid, ?)').join(', ')}) as v(group_id, role)
       where im.invitation_id = ? and im.group_id = v.group_id and im.role <> v.role returning im.group_id`,
      [...changing.flatMap((g) => [g.groupId, g.role]), invitationId],
    )
    : [];
  if (!added.length && !changed.length) return true;
  await tx.execute('update invitations set updated_at = now() where id = ?', [invitationId]);
  await recordAuditSql(tx, scope, {
    action: 'invitation.updated',
    target: { type: 'user', id: invitee.id, label: invitee.label },
    details: { invitationId, changes: { groups: { from: before, to: await plan() } } },
  });
  return true;
}
