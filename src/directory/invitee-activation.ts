import type { Em } from '../db/orm.ts';
import { TransitionError } from './errors.ts';
import { assertSeatAvailable } from './license.ts';
import { nextState } from './lifecycle.ts';
import { writeMembershipChanges, type MembershipChange } from './membership-changes.ts';
import type { Scope } from './scope.ts';

export interface ActivatedInvitee {
  invitationId: string | null;
  groups: Array<{ id: string; role: string }>;
}

/**
 * What accepting an invitation means, whichever door the invitee comes through
 * (the registration form, or SSO with JIT `link`): a seat, the lifecycle's
 * `accept`, the planned memberships of the invitation applied — the one whose
 * link was opened, never another — and that invitation marked accepted.
 * Runs inside the caller's transaction; the caller records the acceptance's
 * audit event. The planned memberships go through the admins' write path
 * (membership-changes.ts), so each one is audited — and reaches the event feed
 * as `membership.added` — exactly as when an admin adds the person to a group.
 */
export async function activateInvitee(
  tx: Em,
  scope: Scope,
  invitee: { id: string; label: string },
  now: Date,
  via: string,
  /** The invitation whose link was opened; without one (SSO), the person's newest open invitation. */
  invitationId?: string,
): Promise<ActivatedInvitee> {
  await assertSeatAvailable(tx, scope, { via, userId: invitee.id, label: invitee.label });
  const state = nextState('invited', 'accept');
  const updated = await tx.execute(
    `update users set state = ?, invite_expires_at = null, last_active_at = ?, version = version + 1, updated_at = ?
     where id = ? and org_id = ? and state = 'invited' returning id`,
    [state, now, now, invitee.id, scope.orgId],
  );
  if (!updated.length) throw new TransitionError('This invitation was already accepted, revoked or the profile changed', { userId: invitee.id });
  const open = await tx.execute(
    `select id from invitations where user_id = ? and org_id = ? and accepted_at is null and revoked_at is null${invitationId ? ' and id = ?' : ''}
     order by created_at desc, id desc limit 1`,
    [invitee.id, scope.orgId, ...(invitationId ? [invitationId] : [])],
  );
  const accepted = open[0] ? String(open[0].id) : null;
  if (invitationId && !accepted) throw new TransitionError('This invitation was already accepted or revoked', { invitationId });
  if (!accepted) return { invitationId: null, groups: [] };
  // Any other open invitation of the person ends, replaced by the accepted one: no live link left behind.
  await tx.execute(
    'update invitations set revoked_at = ?, superseded_by = coalesce(superseded_by, ?), updated_at = ? where user_id = ? and org_id = ? and accepted_at is null and revoked_at is null and id <> ?',
    [now, accepted, now, invitee.id, scope.orgId, accepted],
  );
  const planned = await tx.execute(
    `select g.id, g.display_name, im.role from invitation_memberships im join groups g on g.id = im.group_id and g.org_id = ?
     where im.invitation_id = ? order by g.display_name, g.id`,
    [scope.orgId, accepted],
  );
  const changes: MembershipChange[] = planned.map((row) => ({
    action: 'add',
    user: invitee,
    group: { id: String(row.id), label: String(row.display_name) },
    role: String(row.role),
    source: 'invitation',
    viaMapping: false,
  }));
  // A group the person already joined while invited (an admin added them) keeps that membership: not written, not audited.
  const written = await writeMembershipChanges(tx, scope, changes);
  await tx.execute('update invitations set accepted_at = ?, updated_at = ? where id = ?', [now, now, accepted]);
  return { invitationId: accepted, groups: written.map((c) => ({ id: c.group.id, role: c.role })) };
}
