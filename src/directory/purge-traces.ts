import type { Em } from '../db/orm.ts';
import { purgedLabel } from './audit-anonymise.ts';
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
 * - the mails queued or sent to them (address, name, links).
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
