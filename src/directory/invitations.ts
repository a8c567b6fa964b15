import type { Em } from '../db/orm.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import { generateToken, sha256Hex } from '../lib/tokens.ts';
import { auditInsertSql, recordAuditSql } from './audit.ts';
import { TransitionError, ValidationError, type FieldProblem } from './errors.ts';
import { parseAddressList, splitName } from './invitation-addresses.ts';
import { invitationMail } from './invitation-mail.ts';
import { getLicense } from './license.ts';
import { auditAction, nextState } from './lifecycle.ts';
import { getOrgSettings } from './org-settings.ts';
import { syncMappedMemberships } from './mapped-memberships.ts';
import { enqueueMail, type OutboxMessageView, type PermanentFailure } from './outbox.ts';
import { purgeDeletedUsers, RESTORE_WINDOW_DAYS } from './people.ts';
import { systemActor, type Scope } from './scope.ts';
import { emptyUserFields, toDate, userFieldColumns } from './user-record.ts';
import { userStatus } from './status.ts';
import { dateOrNull, getInvitation, invitationsFromSql, invitationStatus, revokedReason, unacceptedPlanOf, type InvitationRecord, type StatusInput } from './invitation-records.ts';
import { findManagerLoop } from './manager-chain.ts';

/**
 * Invitations (DESIGN "Invitation"): an admin invites addresses; each gets a
 * profile at once (state `invited`, source `invitation`) so it can be found and
 * grouped before the person registers, and a mail with a one-time link whose
 * token is stored only as its SHA-256. Resend issues a new token and a new
 * period (the old link stops working); revoke ends it now.
 */

export const MAX_ADDRESSES_PER_REQUEST = 500;
const DAY_MS = 86_400_000;

export interface InvitationDeps {
  publicUrl: string;
}

export interface PlannedMembership {
  groupId: string;
  role: string;
}

export interface InviteInput {
  emails: string | string[];
  name?: string | undefined;
  groups: PlannedMembership[];
  message?: string | undefined;
  /**
   * What the inviter may undo when an address belongs to a deleted profile
   * (inside the restore window): the invitation restores it, which needs what
   * the restore route needs (`users.delete`), and `users.disable` as well when
   * the profile was disabled before it was deleted, since it comes back
   * invited. Absent: both (the CLI; callers that checked already).
   */
  may?: { restore: boolean; reactivate: boolean } | undefined;
}

export type NotSentReason = 'invalid_email' | 'duplicate_in_request' | 'already_member' | 'already_invited' | 'no_seats' | 'restore_not_permitted' | 'manager_cycle';

export interface InviteResult {
  /** Every address attempted in the input: sent + notSent. */
  recognised: number;
  sent: Array<{ email: string; invitationId: string; userId: string }>;
  notSent: Array<{ email: string; reason: NotSentReason }>;
}


type Row = Record<string, unknown>;

// ---------------------------------------------------------------- inviting

/** What inviting needs from the org, read once per request (or per import batch), not per address. */
export interface InvitationContext {
  orgName: string;
  ttlMs: number;
  /** The org's roles a planned membership may name. */
  roles: string[];
  seatLimit: number | null;
  noSeats: boolean;
  /** How the mail names who sent it (inviterName). */
  inviter: string | null;
}

interface Prepared extends InvitationContext {
  groups: PlannedMembership[];
}

/** Reads the org's settings, name, licence and the inviter's name: once per request or batch. */
export async function invitationContext(em: Em, scope: Scope): Promise<InvitationContext> {
  const settings = await getOrgSettings(em, scope);
  const org = await em.execute('select name from organizations where id = ?', [scope.orgId]);
  // No seat limit: no seat to count (remaining is null, never 0).
  const noSeats = settings.seatLimit === null ? false : (await getLicense(em, scope)).remaining === 0;
  return {
    orgName: String(org[0]?.name ?? scope.orgSlug), ttlMs: settings.invitationTtlDays * DAY_MS, roles: settings.roles,
    seatLimit: settings.seatLimit, noSeats, inviter: await inviterName(em, scope),
  };
}

/** The planned memberships' problems a caller can tell without the database: group ids, duplicates, roles. */
export function plannedGroupProblems(groups: PlannedMembership[], roles: string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  groups.forEach((g, i) => {
    if (!isUuid(g.groupId)) problems.push({ field: `groups.${i}.id`, reason: 'must be a group id' });
    else if (seen.has(g.groupId)) problems.push({ field: `groups.${i}.id`, reason: 'names a group already listed' });
    seen.add(g.groupId);
    if (!roles.includes(g.role)) problems.push({ field: `groups.${i}.role`, reason: `must be one of the organization's roles: ${roles.join(', ')}` });
  });
  return problems;
}

async function prepare(em: Em, scope: Scope, input: InviteInput): Promise<Prepared> {
  const context = await invitationContext(em, scope);
  const problems = plannedGroupProblems(input.groups, context.roles);
  const ids = input.groups.map((g) => g.groupId).filter(isUuid);
  if (ids.length) {
    const found = new Set((await em.execute(`select id from groups where org_id = ? and id in (${ids.map(() => '?').join(', ')})`, [scope.orgId, ...ids])).map((r) => String(r.id)));
    input.groups.forEach((g, i) => {
      if (isUuid(g.groupId) && !found.has(g.groupId)) problems.push({ field: `groups.${i}.id`, reason: 'is not a group of this organization' });
    });
  }
  if (problems.length) throw new ValidationError(problems);
  return { ...context, groups: input.groups };
}

async function insertInvitedUser(tx: Em, scope: Scope, email: string, name: string | null, expiresAt: Date, now: Date, managerId: string | null = null): Promise<string> {
  const fields = emptyUserFields(email);
  Object.assign(fields, splitName(name), { displayName: name, emails: [{ value: email, type: 'work', primary: true }], managerId });
  const id = uuidv7(now.getTime());
  const columns = ['id', 'org_id', ...userFieldColumns.map(([, c]) => c), 'email', 'state', 'source', 'invite_expires_at', 'version', 'created_at', 'updated_at'];
  const values: unknown[] = [id, scope.orgId, ...userFieldColumns.map(([f, , kind]) => (kind === 'json' ? JSON.stringify(fields[f]) : fields[f])), email, 'invited', 'invitation', expiresAt, 1, now, now];
  const placeholders = ['?', '?', ...userFieldColumns.map(([, , kind]) => (kind === 'json' ? '?::jsonb' : '?')), '?', '?', '?', '?', '?', '?', '?'];
  // The profile exists from now on, whichever door invited it: the feed's `user.created` (source admin or
  // csv, from the scope) comes before the invitation's own event. No `source` here: the door is the scope's.
  // One statement: the row and its audit row (target label the userName, which is the address).
  const audit = auditInsertSql(scope, { action: 'user.created', target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' }, details: { active: true } }, 'u');
  await tx.execute(`with u as (insert into users (${columns.join(', ')}) values (${placeholders.join(', ')}) returning id, user_name) ${audit.sql}`, [...values, ...audit.params]);
  return id;
}

/** A deleted profile past the restore window: its data goes, and a fresh profile is made. */
function pastRestoreWindow(row: Row, now: Date): boolean {
  const deletedAt = dateOrNull(row.deleted_at);
  return Boolean(deletedAt && now.getTime() - deletedAt.getTime() > RESTORE_WINDOW_DAYS * DAY_MS);
}

/** Whether the inviter may bring this deleted profile back (past the restore window it is purged, which needs nothing). */
function restorable(row: Row, may: NonNullable<InviteInput['may']>, now: Date): boolean {
  if (pastRestoreWindow(row, now)) return true;
  return may.restore && (row.disabled_at === null || row.disabled_at === undefined || may.reactivate);
}

/**
 * A deleted profile with this address comes back as `invited` (status pending)
 * through the lifecycle's restore move, with its profile and groups as they
 * were — if it is still inside the restore window. Past it, its data is purged
 * first (what the daily job would do anyway) and a fresh profile is made.
 */
async function reviveDeleted(tx: Em, scope: Scope, row: Row, expiresAt: Date, now: Date): Promise<string | null> {
  const deletedAt = dateOrNull(row.deleted_at);
  if (pastRestoreWindow(row, now)) {
    await purgeDeletedUsers(tx, now, { orgId: scope.orgId });
    return null;
  }
  const to = nextState('deleted', 'restore', 'invited');
  const id = String(row.id);
  await tx.execute(
    `update users set state = ?, deleted_at = null, disabled_at = null, disabled_by = null, invite_expires_at = ?, last_active_at = null, version = version + 1, updated_at = ? where id = ? and org_id = ?`,
    [to, expiresAt, now, id, scope.orgId],
  );
  await tx.execute('update invitations set revoked_at = ?, updated_at = ? where user_id = ? and accepted_at is null and revoked_at is null', [now, now, id]);
  await recordAuditSql(tx, scope, {
    action: auditAction.restore,
    target: { type: 'user', id, label: String(row.user_name) },
    details: { restoredTo: userStatus({ state: to, inviteExpiresAt: expiresAt }, now), deletedAt: deletedAt?.toISOString() ?? null, via: 'invitation' },
  });
  // IdP group mappings, as restoreUser: their IdP groups and the mappings may have changed while they were deleted.
  await syncMappedMemberships(tx, scope, [id]);
  return id;
}

/**
 * How the mail names who sent it: a person by their display name and address
 * ("Ann Lee (ann@acme.test)"); nobody when a token, the CLI or the system sent
 * it, whose labels ("ci-token", "cli:root") mean nothing to the invitee.
 */
async function inviterName(tx: Em, scope: Scope): Promise<string | null> {
  if (scope.actor.type !== 'user') return null;
  if (!scope.actor.id) return scope.actor.label;
  const [row] = await tx.execute<Array<{ display_name: string | null }>>('select display_name from users where id = ? and org_id = ?', [scope.actor.id, scope.orgId]);
  const display = row?.display_name?.trim();
  return display && display !== scope.actor.label ? `${display} (${scope.actor.label})` : scope.actor.label;
}

/** A new one-time link for an invitation: the mail that carries it and the SHA-256 the invitation keeps (the token itself is kept nowhere). */
export function newInvitationLink(deps: InvitationDeps, p: { name: string | null; message: string | null; orgName: string; inviter: string | null; expiresAt: Date }): { tokenHash: string; mail: ReturnType<typeof invitationMail> } {
  const token = generateToken('invite');
  const mail = invitationMail({ link: `${deps.publicUrl}/invitations/${token}`, orgName: p.orgName, inviter: p.inviter, name: p.name, message: p.message, expiresAt: p.expiresAt });
  return { tokenHash: sha256Hex(token), mail };
}

async function issueToken(tx: Em, deps: InvitationDeps, scope: Scope, p: { invitationId: string; userId: string; email: string; name: string | null; message: string | null; orgName: string; inviter: string | null; expiresAt: Date }, now: Date): Promise<string> {
  const { tokenHash, mail } = newInvitationLink(deps, p);
  // The hash (as stored on the invitation) lets the outbox tell, at send time, a link a resend has since replaced.
  await enqueueMail(tx, { orgId: scope.orgId, to: p.email, ...mail, kind: 'invitation', priority: 'bulk', related: { invitationId: p.invitationId, userId: p.userId, tokenHash } }, now);
  return tokenHash;
}

/**
 * A restored invitee's plan carried over to the new invitation, with the groups the inviter named
 * now added to it: a group in both takes the role named now (the inviter said it just now).
 */
function withPlanOf(earlier: PlannedMembership[], named: PlannedMembership[]): PlannedMembership[] {
  const plan = new Map(earlier.map((g) => [g.groupId, g.role]));
  for (const g of named) plan.set(g.groupId, g.role);
  return [...plan].map(([groupId, role]) => ({ groupId, role }));
}

async function inviteOne(tx: Em, deps: InvitationDeps, scope: Scope, prepared: Prepared, input: { email: string; name: string | null; message: string | null; may: NonNullable<InviteInput['may']>; managerId?: string | undefined }, now: Date): Promise<InviteResult['sent'][number] | NotSentReason> {
  const { email } = input;
  const existing = await tx.execute(
    `select u.id, u.user_name, u.state, u.deleted_at, u.disabled_at, u.manager_id, exists (select 1 from invitations i where i.user_id = u.id and i.accepted_at is null and i.revoked_at is null and i.expires_at > ?) as pending
     from users u where u.org_id = ? and (u.email = ? or lower(u.user_name) = ?) and u.purged_at is null order by (u.state = 'deleted'), u.id`,
    [now, scope.orgId, email, email],
  );
  const live = existing.find((r) => r.state !== 'deleted');
  if (live) return live.state === 'invited' && live.pending === true ? 'already_invited' : 'already_member';
  if (prepared.noSeats) return 'no_seats';
  const expiresAt = new Date(now.getTime() + prepared.ttlMs);
  const deleted = existing[0];
  if (deleted && !restorable(deleted, input.may, now)) return 'restore_not_permitted';
  // Restored, they would close a loop their manager's chain made while they were away, as the restore route refuses.
  if (deleted && deleted.manager_id && !pastRestoreWindow(deleted, now) && (await findManagerLoop(tx, scope, String(deleted.id), String(deleted.manager_id)))) return 'manager_cycle';
  const revived = deleted ? await reviveDeleted(tx, scope, deleted, expiresAt, now) : null;
  // A new profile takes its manager with it (a CSV row's, checked by the import); a restored one keeps its own.
  const userId = revived ?? (await insertInvitedUser(tx, scope, email, input.name, expiresAt, now, input.managerId ?? null));
  const groups = revived ? withPlanOf(await unacceptedPlanOf(tx, scope, revived), prepared.groups) : prepared.groups;
  const invitationId = uuidv7(now.getTime());
  const tokenHash = await issueToken(tx, deps, scope, { invitationId, userId, email, name: input.name, message: input.message, orgName: prepared.orgName, inviter: prepared.inviter, expiresAt }, now);
  const invitationRow = [invitationId, now, now, scope.orgId, userId, email, input.name?.slice(0, 300) ?? null, input.message, scope.actor.id ?? null, scope.actor.label.slice(0, 320), tokenHash, expiresAt];
  // The invitation and its planned memberships as one statement (the memberships in list order).
  const planned = groups.map((group) => [uuidv7(now.getTime()), group.groupId, group.role]);
  await tx.execute(
    `with i as (insert into invitations (id, created_at, updated_at, org_id, user_id, email, name, message, invited_by_id, invited_by_label, token_hash, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id)
     ${planned.length ? `insert into invitation_memberships (id, invitation_id, group_id, role) select v.id::uuid, i.id, v.group_id::uuid, v.role from i, (values ${planned.map(() => '(?, ?, ?)').join(', ')}) as v(id, group_id, role)` : 'select 1'}`,
    [...invitationRow, ...planned.flat()],
  );
  // The person's earlier invitations (a restored profile's) are replaced by this one: never resent again.
  if (revived) {
    await tx.execute(
      'update invitations set superseded_by = ?, updated_at = ? where org_id = ? and user_id = ? and id <> ? and accepted_at is null and superseded_by is null',
      [invitationId, now, scope.orgId, userId, invitationId],
    );
  }
  // One event for the invitation (its planned groups and mail), after the profile's own (created or restored).
  // No `source` in the details: the door (admin or csv) is the scope's, and the events trigger reads it there.
  await recordAuditSql(tx, scope, {
    action: 'invitation.created',
    target: { type: 'user', id: userId, label: email },
    details: { invitationId, restored: Boolean(revived), expiresAt: expiresAt.toISOString(), groups },
  });
  return { email, invitationId, userId };
}

/**
 * Invites every valid address of the input, each in its own savepoint of the
 * caller's transaction: one address refused (or failing on a unique rule)
 * leaves the others invited. Seats: pending invitees hold none (DESIGN), but
 * when the org's seat limit is already used up by active users, nobody new
 * could accept, so the addresses are reported `no_seats` rather than invited
 * into a dead end.
 */
export async function inviteMany(em: Em, deps: InvitationDeps, scope: Scope, input: InviteInput, now: Date): Promise<InviteResult> {
  const parsed = parseAddressList(input.emails);
  if (!parsed.length) throw ValidationError.field('emails', 'must contain at least one email address');
  if (parsed.length > MAX_ADDRESSES_PER_REQUEST) throw ValidationError.field('emails', `must contain at most ${MAX_ADDRESSES_PER_REQUEST} addresses per request`);
  const name = input.name?.trim() || null;
  if (name && parsed.filter((p) => !p.problem).length > 1) throw ValidationError.field('name', 'can only be given when inviting one address (use `Name <address>` in the list)');
  const prepared = await prepare(em, scope, input);
  const result: InviteResult = { recognised: parsed.length, sent: [], notSent: [] };
  for (const entry of parsed) {
    if (entry.problem || !entry.email) {
      result.notSent.push({ email: entry.email ?? entry.input, reason: entry.problem ?? 'invalid_email' });
      continue;
    }
    const email = entry.email;
    try {
      const outcome = await em.transactional((tx) => inviteOne(tx, deps, scope, prepared, { email, name: name ?? entry.name, message: input.message?.trim() || null, may: input.may ?? { restore: true, reactivate: true } }, now));
      if (typeof outcome === 'string') result.notSent.push({ email, reason: outcome });
      else result.sent.push(outcome);
    } catch (error) {
      // Another profile's userName is this address (e.g. provisioned over SCIM with another email).
      if (uniqueViolationField(error) === 'userName') result.notSent.push({ email, reason: 'already_member' });
      else throw error;
    }
  }
  return result;
}

/**
 * One address as inviteMany invites it, for a caller that invites many in one
 * transaction with the org read once (an import batch: invitationContext) and
 * each address already in its own savepoint: no savepoint of its own, so a
 * refusal the unique index finds (`already_member`) leaves that savepoint
 * aborted and the caller must roll it back (the import fails the row). The
 * planned groups are the caller's, found in this transaction; their ids and
 * roles are checked as inviteMany checks them. In an org with a seat limit the
 * seats are counted for each address, as inviteMany's request would. `managerId`
 * (the caller's, checked): a new profile is created with that manager.
 */
export async function inviteOneOfMany(tx: Em, deps: InvitationDeps, scope: Scope, context: InvitationContext, input: { email: string; name?: string | undefined; groups: PlannedMembership[]; managerId?: string | undefined }, now: Date): Promise<InviteResult['sent'][number] | NotSentReason> {
  const entry = parseAddressList([input.email])[0];
  if (!entry || entry.problem || !entry.email) return entry?.problem ?? 'invalid_email';
  const problems = plannedGroupProblems(input.groups, context.roles);
  if (problems.length) throw new ValidationError(problems);
  const noSeats = context.seatLimit === null ? false : (await getLicense(tx, scope)).remaining === 0;
  const prepared: Prepared = { ...context, noSeats, groups: input.groups };
  try {
    return await inviteOne(tx, deps, scope, prepared, { email: entry.email, name: input.name?.trim() || entry.name, message: null, may: { restore: true, reactivate: true }, managerId: input.managerId }, now);
  } catch (error) {
    if (uniqueViolationField(error) === 'userName') return 'already_member';
    throw error;
  }
}

// ---------------------------------------------------------------- resend, revoke

async function invitedUserState(em: Em, invitation: InvitationRecord): Promise<string> {
  const rows = await em.execute('select state from users where id = ? and org_id = ?', [invitation.userId, invitation.orgId]);
  return String(rows[0]?.state ?? 'deleted');
}

/**
 * A new token and a new period; the old link stops working. Works for pending, expired, revoked and
 * undeliverable ones — but only for the person's newest invitation: resending one that a newer
 * invitation replaced would leave two live links with different planned groups, so it is refused
 * (409, `details.reason: "superseded"`, naming the newer one to resend instead).
 */
export async function resendInvitation(em: Em, deps: InvitationDeps, scope: Scope, id: string, now: Date): Promise<InvitationRecord> {
  const current = await getInvitation(em, scope, id, now, { lock: true });
  if (current.acceptedAt) throw new TransitionError('This invitation was already accepted', { status: 'accepted' });
  if (current.supersededBy) {
    throw new TransitionError(`This invitation was replaced by a newer invitation to the same person (${current.supersededBy}); resend that one instead`, {
      reason: 'superseded',
      supersededBy: current.supersededBy,
      status: current.status,
    });
  }
  const state = await invitedUserState(em, current);
  if (state !== 'invited') throw new TransitionError(`Cannot resend an invitation to a user who is ${state}`, { state });
  const settings = await getOrgSettings(em, scope);
  const org = await em.execute('select name from organizations where id = ?', [scope.orgId]);
  const expiresAt = new Date(now.getTime() + settings.invitationTtlDays * DAY_MS);
  const tokenHash = await issueToken(em, deps, scope, { invitationId: current.id, userId: current.userId, email: current.email, name: current.name, message: current.message, orgName: String(org[0]?.name ?? scope.orgSlug), inviter: await inviterName(em, scope), expiresAt }, now);
  // The old link stays recognisable (410 "replaced", not 404 "unknown") by its hash alone.
  await em.execute(
    `insert into invitation_replaced_tokens (token_hash, invitation_id, replaced_at)
     select token_hash, id, ? from invitations where id = ? and org_id = ? on conflict (token_hash) do nothing`,
    [now, current.id, scope.orgId],
  );
  await em.execute(
    'update invitations set token_hash = ?, expires_at = ?, revoked_at = null, undeliverable_at = null, updated_at = ? where id = ? and org_id = ?',
    [tokenHash, expiresAt, now, current.id, scope.orgId],
  );
  await em.execute('update users set invite_expires_at = ?, version = version + 1, updated_at = ? where id = ? and org_id = ?', [expiresAt, now, current.userId, scope.orgId]);
  await recordAuditSql(em, scope, {
    action: 'invitation.resent',
    target: { type: 'user', id: current.userId, label: current.email },
    details: { invitationId: current.id, expiresAt: expiresAt.toISOString(), previousStatus: current.status },
  });
  return getInvitation(em, scope, id, now);
}

/** Ends the invitation now: the link stops working and the person's status becomes `expired`. Revoking twice changes nothing. */
export async function revokeInvitation(em: Em, scope: Scope, id: string, now: Date): Promise<InvitationRecord> {
  const current = await getInvitation(em, scope, id, now, { lock: true });
  if (current.acceptedAt) throw new TransitionError('This invitation was already accepted; disable the user instead', { status: 'accepted' });
  if (current.revokedAt) return current;
  await em.execute('update invitations set revoked_at = ?, updated_at = ? where id = ? and org_id = ?', [now, now, current.id, scope.orgId]);
  // Also no later than the transaction's start (now()), the time the change-feed trigger renders the
  // person's status at: else the event would still show them `pending` (the clock read after BEGIN).
  await em.execute(
    `update users set invite_expires_at = least(invite_expires_at, ?, now()), version = version + 1, updated_at = ? where id = ? and org_id = ? and state = 'invited'`,
    [now, now, current.userId, scope.orgId],
  );
  await recordAuditSql(em, scope, {
    action: 'invitation.revoked',
    target: { type: 'user', id: current.userId, label: current.email },
    details: { invitationId: current.id, previousStatus: current.status, reason: 'admin' },
  });
  return getInvitation(em, scope, id, now);
}

// ---------------------------------------------------------------- mail at send time

/**
 * The outbox's send-time check for `invitation` mail (CancelCheck): a mail that
 * waited in the queue (behind a bulk import, say) is sent only if its link
 * would still work — the invitation `pending` (not revoked, accepted or
 * expired, its person still invited) and its link not replaced by a resend.
 * Otherwise the reason it is cancelled.
 */
export async function invitationMailCancelReason(em: Em, message: OutboxMessageView, now: Date): Promise<string | null> {
  const id = message.related.invitationId;
  if (message.kind !== 'invitation' || !id || !isUuid(id) || !message.orgId) return null;
  const rows = await em.execute(
    `select i.token_hash, i.accepted_at, i.revoked_at, i.expires_at, i.superseded_by, u.state as user_state from ${invitationsFromSql} where i.id = ? and i.org_id = ?`,
    [id, message.orgId],
  );
  const row = rows[0];
  if (!row) return 'invitation no longer exists';
  const input: StatusInput = {
    acceptedAt: dateOrNull(row.accepted_at),
    revokedAt: dateOrNull(row.revoked_at),
    expiresAt: toDate(row.expires_at),
    supersededBy: (row.superseded_by as string | null) ?? null,
    userState: String(row.user_state),
  };
  const status = invitationStatus(input, now);
  if (status !== 'pending') {
    const reason = revokedReason(input);
    return `invitation ${status}${reason ? ` (${reason})` : ''}`;
  }
  // Mail queued before the hash was recorded carries none: its invitation's status decides alone.
  if (message.related.tokenHash && message.related.tokenHash !== row.token_hash) return 'invitation link replaced by a resend';
  return null;
}

// ---------------------------------------------------------------- undeliverable

/**
 * The outbox's permanent-failure hook for `invitation` mail (runs in the
 * transaction that marks the message failed): the invitation shows as
 * undeliverable and the inviter finds an `invitation.undeliverable` event.
 */
export async function markInvitationUndeliverable(em: Em, message: OutboxMessageView, failure: PermanentFailure, now: Date): Promise<boolean> {
  const invitationId = message.related.invitationId;
  if (message.kind !== 'invitation' || !invitationId || !isUuid(invitationId)) return false;
  const rows = await em.execute(
    `update invitations i set undeliverable_at = ?, updated_at = ? from organizations o
     where i.id = ? and o.id = i.org_id and i.accepted_at is null
     returning i.id, i.org_id, o.slug, i.user_id, i.email, i.invited_by_id, i.invited_by_label`,
    [now, now, invitationId],
  );
  const row = rows[0];
  if (!row) return false;
  const scope: Scope = { orgId: String(row.org_id), orgSlug: String(row.slug), actor: systemActor };
  await recordAuditSql(em, scope, {
    action: 'invitation.undeliverable',
    target: { type: 'user', id: String(row.user_id), label: String(row.email) },
    details: {
      invitationId,
      invitedBy: { id: row.invited_by_id ?? null, label: String(row.invited_by_label) },
      reason: failure.reason,
      responseCode: failure.responseCode ?? null,
      error: failure.error.slice(0, 300),
    },
  });
  return true;
}
