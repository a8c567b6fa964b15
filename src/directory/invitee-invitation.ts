import type { Em } from '../db/orm.ts';
import { recordAuditSql } from './audit.ts';
import type { Transition } from './lifecycle.ts';
import type { Scope } from './scope.ts';

/** The moves of a pending (or expired) invitee that stop or start their invitation's link. */
export type InviteeTransition = Extract<Transition, 'disable' | 'reactivate' | 'delete' | 'restore'>;

const reasons: Record<InviteeTransition, string> = {
  disable: 'user_disabled',
  delete: 'user_deleted',
  reactivate: 'user_reactivated',
  restore: 'user_restored',
};

/**
 * What disabling or deleting a pending (or expired) invitee, and reactivating or restoring them,
 * does to their open invitation, on the record and so in the change feed: its link stops working
 * while they are disabled or deleted (status `revoked`, reason `user_disabled` or `user_deleted`,
 * directory/invitation-records.ts) and works again once they are back, unless it expired
 * meanwhile. The invitation row is not changed: its status follows the person's state. Without
 * these audit rows a consumer tracking invitations saw only the `user.*` event and had to infer the rest.
 *
 * Disable, delete → `invitation.revoked` (`reason` as above). Reactivate, restore →
 * `invitation.reopened`, rendered as `invitation.sent` with `reason: user_reactivated` or
 * `user_restored` (no mail is sent: the link the person has works again), or, when it expired
 * meanwhile, `invitation.expired` (same reason), marked announced so the expiry job does not
 * announce it again. Callers call it only for a move from or to `invited` (a disabled invitee's
 * delete or restore changes nothing about the link). Runs in the caller's transaction, after the
 * person's own audit row, so its event follows theirs.
 */
export async function recordInviteeInvitation(tx: Em, scope: Scope, userId: string, transition: InviteeTransition): Promise<void> {
  // The open invitation as the person's invitationId names it (people.ts personInvitationSql), not revoked by an admin.
  const rows = await tx.execute(
    `select i.id, i.email, i.expires_at > now() as pending from invitations i
     where i.org_id = ? and i.user_id = ? and i.accepted_at is null and i.superseded_by is null and i.revoked_at is null
     order by i.id desc limit 1`,
    [scope.orgId, userId],
  );
  const open = rows[0];
  if (!open) return;
  const invitationId = String(open.id);
  const pending = open.pending === true;
  const stops = transition === 'disable' || transition === 'delete';
  const action = stops ? 'invitation.revoked' : pending ? 'invitation.reopened' : 'invitation.expired';
  if (action === 'invitation.expired') {
    await tx.execute('update invitations set expiry_announced_for = expires_at, updated_at = now() where id = ? and org_id = ?', [invitationId, scope.orgId]);
  }
  await recordAuditSql(tx, scope, {
    action,
    target: { type: 'user', id: userId, label: String(open.email) },
    details: { invitationId, reason: reasons[transition] },
  });
}
