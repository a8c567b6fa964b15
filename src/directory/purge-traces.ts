import type { Em } from '../db/orm.ts';
import { purgedLabel } from './audit-anonymise.ts';
import { systemAuditSql } from './audit.ts';
import { REMOVED_BODY } from './outbox.ts';

const REMOVED_SUBJECT = '[removed: it named a purged user]';

/** A person the daily purge empties: who, where, and the addresses mail reached them at. */
export interface PurgedTraces {
  orgId: string;
  userId: string;
  addresses: string[];
}

/**
 * What the purge removes besides the user row, audit trail and feed (people.ts):
 * - the invitations they received (their address, the name given, the message to them;
 *   their memberships-to-be and replaced tokens go with them by cascade);
 * - their name and address on the invitations they sent, and on those invitations'
 *   change-feed events (`resource.invitedBy`): `purged user <id>`, the id kept; the
 *   subject of those invitations' mails, which named them;
 * - the mails queued or sent to them (address, name, links);
 * - their reports' pointer to them as manager (releaseReports).
 */
export async function purgeInvitationsAndMail(tx: Em, people: PurgedTraces[]): Promise<void> {
  if (!people.length) return;
  const ids = people.map((p) => p.userId);
  const list = ids.map(() => '?').join(', ');
  await tx.execute(`delete from invitations where user_id in (${list})`, ids);
  // `purged user <id>`, as the audit trail names them (audit-anonymise.ts).
  const prefix = purgedLabel('');
  // Fetched by key: the invitees' events (subject), then each invitation's own among them.
  await tx.execute(
    `update events e set resource = jsonb_set(e.resource, '{invitedBy}', to_jsonb(? || i.invited_by_id::text))
     from invitations i
     where i.invited_by_id in (${list}) and e.subject_id = i.user_id::text and e.org_id = i.org_id
       and e.resource ->> 'id' = i.id::text and e.resource -> 'invitedBy' is not null`,
    [prefix, ...ids],
  );
  // Their invitation mails to others named them in the subject (the body went once sent, outbox.ts).
  await tx.execute(
    `update outbox_messages o set subject = ?, text = ?, html = null, updated_at = now()
     from invitations i
     where i.invited_by_id in (${list}) and o.org_id = i.org_id and o.kind = 'invitation' and o.related ->> 'invitationId' = i.id::text
       and (o.sent_at is not null or o.failed_at is not null or o.cancelled_at is not null)`,
    [REMOVED_SUBJECT, REMOVED_BODY, ...ids],
  );
  await tx.execute(`update invitations set invited_by_label = ? || invited_by_id::text, updated_at = now() where invited_by_id in (${list})`, [prefix, ...ids]);
  const mailed = people.flatMap((p) => [...new Set(p.addresses.map((a) => a.toLowerCase()))].map((address) => ({ org_id: p.orgId, address })));
  if (!mailed.length) return;
  await tx.execute(
    `delete from outbox_messages o using jsonb_to_recordset(?::jsonb) as p(org_id uuid, address text)
     where o.org_id = p.org_id and lower(o."to") = p.address`,
    [JSON.stringify(mailed)],
  );
}

/**
 * The people who had a purged person as manager (the enterprise `manager`, RFC 7643 §4.3: it
 * names a user, and a purged one is none) lose that pointer, whatever their state — reads showed
 * no manager since the deletion (user-record.ts managerSql), and a restore can no longer bring the
 * manager back. It is a profile change by the system: each report's version moves and gets one
 * `user.updated` audit row (`changes.managerId`, `reason: manager_purged`), whose feed event says
 * so. Events written before keep the manager's id and lose their name (`manager.displayName`
 * null), in the person of a `user.*` event and in the `user` of a membership, invitation or session
 * event, found by content as the row trigger finds the events a purged person acted in.
 */
export async function releaseReports(tx: Em, people: Array<Pick<PurgedTraces, 'orgId' | 'userId'>>): Promise<void> {
  if (!people.length) return;
  const ids = people.map((p) => p.userId);
  const list = ids.map(() => '?').join(', ');
  const orgs = [...new Set(people.map((p) => p.orgId))];
  const orgList = orgs.map(() => '?').join(', ');
  await tx.execute(
    `with old as (
       select r.id, r.manager_id from users r join users m on m.id = gatehouse_uuid(r.manager_id) and m.org_id = r.org_id
       where m.id in (${list}) and r.id not in (${list}) for update of r),
     r as (update users u set manager_id = null, version = u.version + 1, updated_at = now() from old where u.id = old.id
       returning u.id, u.org_id, u.user_name, old.manager_id as was)
     ${systemAuditSql({
       action: 'user.updated', targetType: 'user', orgId: 'r.org_id', targetId: 'r.id::text', targetLabel: 'r.user_name',
       details: `jsonb_build_object('changes', jsonb_build_object('managerId', jsonb_build_object('from', r.was, 'to', null)), 'reason', 'manager_purged')`,
     }, 'r')}`,
    [...ids, ...ids],
  );
  for (const path of [['manager'], ['user', 'manager']]) {
    const json = `resource${path.map((k) => `->'${k}'`).join('')}`;
    await tx.execute(
      `update events set resource = jsonb_set(resource, '{${path.join(',')},displayName}', 'null'::jsonb)
       where org_id in (${orgList}) and ${json}->>'id' in (${list}) and ${json}->>'displayName' is not null`,
      [...orgs, ...ids],
    );
  }
}
