import type { Em } from '../db/orm.ts';
import { systemAuditSql } from './audit.ts';

/**
 * Issue 8: an invitation emits `invitation.expired` when it expires, not only
 * when someone looks. A job finds invitations past `expiresAt` (not accepted,
 * not revoked, the person still invited) whose expiry was not announced yet,
 * and writes one system audit event each; the audit → event trigger turns it
 * into the product event, in the same transaction as the mark. A resend moves
 * `expiresAt`, so the next expiry is announced again.
 *
 * One instance at a time (a transaction-level advisory lock): two instances
 * running at once would otherwise race for the same rows.
 */
const EXPIRY_LOCK = 0x6761_7465_0002n;

export async function announceExpiredInvitations(em: Em, now: Date, batchSize = 500): Promise<{ expired: number; locked: boolean }> {
  let expired = 0;
  for (;;) {
    const result = await em.transactional(async (tx) => {
      const lock = await tx.execute('select pg_try_advisory_xact_lock(?) as locked', [EXPIRY_LOCK.toString()]);
      if (!lock[0]?.locked) return -1;
      const rows = await tx.execute(
        `with due as (
           select i.id from invitations i join users u on u.id = i.user_id and u.org_id = i.org_id
           where i.expires_at <= ? and i.accepted_at is null and i.revoked_at is null
             and i.expiry_announced_for is distinct from i.expires_at and u.state = 'invited'
           order by i.expires_at limit ?
         ),
         marked as (
           update invitations i set expiry_announced_for = i.expires_at, updated_at = ? from due where i.id = due.id
           returning i.id, i.org_id, i.user_id, i.email, i.expires_at
         )
         ${systemAuditSql({
           action: 'invitation.expired', targetType: 'user', orgId: 'm.org_id', at: '?', targetId: 'm.user_id::text', targetLabel: 'm.email',
           details: `jsonb_build_object('invitationId', m.id, 'expiresAt', gatehouse_iso(m.expires_at))`,
         }, 'marked m order by m.expires_at')}
         returning 1`,
        [now, batchSize, now, now],
      );
      return rows.length;
    });
    if (result < 0) return { expired, locked: false };
    expired += result;
    if (result < batchSize) return { expired, locked: true };
  }
}
