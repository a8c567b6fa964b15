import type { Em } from '../db/orm.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import { uuidv7 } from '../lib/ids.ts';
import { auditInsertSql } from './audit.ts';
import { ConflictError, DomainError } from './errors.ts';
import { parseAddressList, splitName } from './invitation-addresses.ts';
import { newInvitationLink, plannedGroupProblems, type InvitationContext, type InvitationDeps, type PlannedMembership } from './invitations.ts';
import { priorityValue } from './outbox.ts';
import { profileNext, type ProfileChange, type ProfileTarget } from './people.ts';
import type { Scope } from './scope.ts';
import { emptyUserFields, primaryEmail, primaryPhone, userFieldColumns, type UserFields } from './user-record.ts';
import { changedFields, describeChanges, validateUserFields } from './user-validation.ts';

/**
 * The CSV commit's invitations as set-based writes: for new addresses of an
 * org WITHOUT a seat limit (callers check), what inviteOneOfMany and the
 * row's profile update write row by row, as three statements per batch:
 * 1. the invited profiles and their `user.created` audit rows;
 * 2. the invitation mails (newInvitationLink, as issueToken),
 *    the invitations, their planned memberships and their
 *    `invitation.created` audit rows;
 * 3. the rows' profile fields (profileNext + saveUser's rules) with one
 *    `user.updated` audit row each.
 * Three statements, so the change-feed triggers render each event with the
 * person as the row path has them at that point, and number each person's
 * events in the row path's order (a statement's events are numbered when it ends). Anything the row path would
 * treat other than as a plain new invitation (an address some profile already
 * has, live or deleted; an unusual address or plan) is left to it: `rowPath`.
 * test/csv/import-invite-bulk.test.ts compares the database after both paths.
 */

export interface BulkInvitee {
  key: number;
  email: string;
  name?: string | undefined;
  groups: PlannedMembership[];
  profile: ProfileChange;
  /** The manager the person is created with (their `user.created` carries it): checked by the caller. */
  managerId?: string | undefined;
}

export interface BulkInviteResult {
  created: Map<number, string>;
  failed: Array<{ key: number; error: DomainError }>;
  rowPath: number[];
}

interface Planned {
  key: number;
  user: Record<string, unknown>;
  update: { fields: UserFields; changes: Record<string, unknown> } | null;
  invitation: Record<string, unknown>;
  mail: Record<string, unknown>;
  memberships: Array<Record<string, unknown>>;
  details: Record<string, unknown>;
}

export async function inviteUsersBulk(tx: Em, deps: InvitationDeps, scope: Scope, context: InvitationContext, invitees: BulkInvitee[], now: Date): Promise<BulkInviteResult> {
  const result: BulkInviteResult = { created: new Map(), failed: [], rowPath: [] };
  const candidates: Array<BulkInvitee & { address: string; parsedName: string | null }> = [];
  for (const invitee of invitees) {
    const entry = parseAddressList([invitee.email]);
    if (entry.length !== 1 || entry[0]!.problem || !entry[0]!.email || plannedGroupProblems(invitee.groups, context.roles).length) result.rowPath.push(invitee.key);
    else candidates.push({ ...invitee, address: entry[0]!.email, parsedName: entry[0]!.name });
  }
  if (!candidates.length) return result;
  const addresses = candidates.map((c) => c.address);
  const taken = new Set<string>();
  for (const r of await executeBound(tx, `select email, lower(user_name) as name from users where org_id = ? and (email = any(?::text[]) or lower(user_name) = any(?::text[])) and purged_at is null`, [scope.orgId, pgArray(addresses), pgArray(addresses)])) {
    if (r.email) taken.add(String(r.email));
    taken.add(String(r.name));
  }
  const expiresAt = new Date(now.getTime() + context.ttlMs);
  const planned: Planned[] = [];
  for (const c of candidates) {
    // Some profile has the address (or an earlier row of the batch took it): the row path decides.
    if (taken.has(c.address)) {
      result.rowPath.push(c.key);
      continue;
    }
    taken.add(c.address);
    const name = c.name?.trim() || c.parsedName;
    const fields = emptyUserFields(c.address);
    Object.assign(fields, splitName(name), { displayName: name, emails: [{ value: c.address, type: 'work', primary: true }] });
    if (c.managerId) fields.managerId = c.managerId;
    const id = uuidv7(now.getTime());
    let update: Planned['update'] = null;
    try {
      const current: ProfileTarget = { ...fields, phone: null, source: 'invitation', state: 'invited', orgRole: 'member' };
      const next = Object.keys(c.profile).length ? profileNext(scope, current, c.profile) : null;
      if (next) {
        const valid = validateUserFields(next);
        const changed = changedFields(current, valid);
        if (changed.length) update = { fields: valid, changes: describeChanges(current, valid, changed) };
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      result.failed.push({ key: c.key, error });
      continue;
    }
    const invitationId = uuidv7(now.getTime());
    const { tokenHash, mail } = newInvitationLink(deps, { orgName: context.orgName, inviter: context.inviter, name, message: null, expiresAt });
    const user: Record<string, unknown> = { id, org_id: scope.orgId, email: c.address, state: 'invited', source: 'invitation', invite_expires_at: expiresAt, version: 1, created_at: now, updated_at: now };
    for (const [field, column] of userFieldColumns) user[column] = fields[field];
    planned.push({
      key: c.key,
      user,
      update,
      mail: {
        id: uuidv7(now.getTime()), created_at: now, updated_at: now, org_id: scope.orgId, to: c.address, subject: mail.subject.slice(0, 500), text: mail.text, html: mail.html, kind: 'invitation',
        related: { invitationId, userId: id, tokenHash }, priority: priorityValue.bulk, attempts: 0, next_attempt_at: now,
      },
      invitation: {
        id: invitationId, created_at: now, updated_at: now, org_id: scope.orgId, user_id: id, email: c.address, name: name?.slice(0, 300) ?? null, message: null,
        invited_by_id: scope.actor.id ?? null, invited_by_label: scope.actor.label.slice(0, 320), token_hash: tokenHash, expires_at: expiresAt,
      },
      memberships: c.groups.map((g) => ({ id: uuidv7(now.getTime()), invitation_id: invitationId, group_id: g.groupId, role: g.role })),
      details: { invitationId, restored: false, expiresAt: expiresAt.toISOString(), groups: c.groups },
    });
  }
  if (!planned.length) return result;
  const userColumns = ['id', 'org_id', ...userFieldColumns.map(([, c]) => c), 'email', 'state', 'source', 'invite_expires_at', 'version', 'created_at', 'updated_at'];
  const mailColumns = ['id', 'created_at', 'updated_at', 'org_id', '"to"', 'subject', 'text', 'html', 'kind', 'related', 'priority', 'attempts', 'next_attempt_at'];
  const invitationColumns = ['id', 'created_at', 'updated_at', 'org_id', 'user_id', 'email', 'name', 'message', 'invited_by_id', 'invited_by_label', 'token_hash', 'expires_at'];
  const created = auditInsertSql(scope, { action: 'user.created', target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' }, details: { active: true } }, 'u');
  const invited = auditInsertSql(scope, { action: 'invitation.created', target: { type: 'user', idColumn: 'user_id', labelColumn: 'email' }, detailsSql: 'ia.details' }, 'ia');
  // The profiles and their user.created rows first, as a statement of their own: the change-feed triggers
  // number each statement's events when it ends, so each person's user.created comes before their invitation's.
  // Audit rows in the file's order (ids of one millisecond are not ordered).
  const rows = await executeBound(
    tx,
    `with u as (insert into users (${userColumns.join(', ')}) select ${userColumns.map((c) => `x.${c}`).join(', ')} from jsonb_populate_recordset(null::users, ?::jsonb) x order by x.id
                on conflict do nothing returning id, user_name),
     a as (${created.sql} join unnest(?::uuid[]) with ordinality as o(id, n) on o.id = u.id order by o.n)
     select id from u`,
    [JSON.stringify(planned.map((p) => p.user)), ...created.params, pgArray(planned.map((p) => String(p.user.id)))],
  );
  const inserted = new Set(rows.map((r) => String(r.id)));
  const invitedNow = planned.filter((p) => inserted.has(String(p.user.id)));
  if (invitedNow.length) {
    await executeBound(
      tx,
      `with mo as (insert into outbox_messages (${mailColumns.join(', ')}) select ${mailColumns.map((c) => `x.${c}`).join(', ')} from jsonb_populate_recordset(null::outbox_messages, ?::jsonb) x order by x.id),
       i as (insert into invitations (${invitationColumns.join(', ')}) select ${invitationColumns.map((c) => `x.${c}`).join(', ')} from jsonb_populate_recordset(null::invitations, ?::jsonb) x
             order by x.id returning id, user_id, email),
       im as (insert into invitation_memberships (id, invitation_id, group_id, role) select x.id, x.invitation_id, x.group_id, x.role
              from jsonb_populate_recordset(null::invitation_memberships, ?::jsonb) x join i on i.id = x.invitation_id order by x.id),
       ia as (select i.id, i.user_id, i.email, d.details, d.n from i join jsonb_to_recordset(?::jsonb) as d(invitation_id uuid, details jsonb, n int) on d.invitation_id = i.id)
       ${invited.sql} order by ia.n`,
      [
        JSON.stringify(invitedNow.map((p) => p.mail)), JSON.stringify(invitedNow.map((p) => p.invitation)), JSON.stringify(invitedNow.flatMap((p) => p.memberships)),
        JSON.stringify(invitedNow.map((p, n) => ({ invitation_id: p.invitation.id, details: p.details, n }))), ...invited.params,
      ],
    );
  }
  const updates: Planned[] = [];
  for (const p of planned) {
    if (!inserted.has(String(p.user.id))) {
      // The unique userName index refused it (taken since the look-up): the row path's already_member.
      result.failed.push({ key: p.key, error: new ConflictError('email', 'not invited: already_member') });
      continue;
    }
    result.created.set(p.key, String(p.user.id));
    if (p.update) updates.push(p);
  }
  if (updates.length) {
    const sets = [...userFieldColumns.map(([, c]) => `${c} = x.${c}`), 'email = x.email', 'phone = x.phone'];
    const updated = auditInsertSql(scope, { action: 'user.updated', target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' }, detailsSql: `jsonb_build_object('changes', uu.changes)` }, 'uu');
    await executeBound(
      tx,
      `with uu as (update users u set ${sets.join(', ')}, version = u.version + 1, updated_at = now()
                   from jsonb_populate_recordset(null::users, ?::jsonb) x join jsonb_to_recordset(?::jsonb) as d(id uuid, changes jsonb, n int) on d.id = x.id
                   where u.id = x.id and u.org_id = ? returning u.id, u.user_name, d.changes, d.n)
       ${updated.sql} order by uu.n`,
      [
        JSON.stringify(updates.map((p) => {
          const row: Record<string, unknown> = { id: p.user.id, email: primaryEmail(p.update!.fields.emails), phone: primaryPhone(p.update!.fields.phoneNumbers) };
          for (const [field, column] of userFieldColumns) row[column] = p.update!.fields[field];
          return row;
        })),
        JSON.stringify(updates.map((p, n) => ({ id: p.user.id, changes: p.update!.changes, n }))), scope.orgId, ...updated.params,
      ],
    );
  }
  return result;
}
