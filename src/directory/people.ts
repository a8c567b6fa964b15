import type { Em } from '../db/orm.ts';
import { isUuid } from '../lib/ids.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { auditInsertSql, systemAuditSql } from './audit.ts';
import { purgeInvitationsAndMail, releaseReports } from './purge-traces.ts';
import { assertMayChangeAccount } from './org-admin-guard.ts';
import { anonymiseAuditEvents } from './audit-anonymise.ts';
import { ConflictError, NotFoundError, PermissionError, StaleVersionError, TransitionError, ValidationError } from './errors.ts';
import { findManagerLoop, loopText } from './manager-chain.ts';
import { assertSeatAvailable } from './license.ts';
import { auditAction, nextState, stateOnReturn } from './lifecycle.ts';
import { syncMappedMemberships } from './mapped-memberships.ts';
import type { Scope } from './scope.ts';
import { statusCounts, statusFilterSql, statusSql, userStatus, type StatusCounts, type StatusFilter } from './status.ts';
import { transaction } from './transaction.ts';
import { forgetUnusedSignInSecrets } from './sign-in-secrets.ts';
import { rowToUser, toDate, userColumnsSql, userFieldColumns, type UserFields, type UserRecord } from './user-record.ts';
import { changedFields } from './user-validation.ts';
import { deleteUser, saveUser } from './users.ts';
import { recordInviteeInvitation } from './invitee-invitation.ts';

/**
 * People as org admins manage them (the admin API; CSV and invitations later):
 * list with status counts, profile edits, disable/reactivate, delete/restore,
 * and the purge of deleted users' personal data. Every move goes through the
 * lifecycle table and the write paths of users.ts, so SCIM and admins share one
 * set of rules and audit events.
 */

export const RESTORE_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

export interface PersonRecord extends UserRecord {
  purgedAt: Date | null;
  groups: Array<{ id: string; displayName: string; role: string }>;
  /** An invited person's latest unaccepted invitation: what "resend" and "revoke" act on. */
  invitationId: string | null;
}

const personGroupsSql = `(select coalesce(json_agg(json_build_object('id', g.id, 'displayName', g.display_name, 'role', m.role) order by g.display_name, g.id), '[]'::json)
  from memberships m join groups g on g.id = m.group_id where m.user_id = u.id and m.org_id = u.org_id) as groups_json`;

// On invitations_org_user_index: the person's own invitations, newest first, never one a newer invitation replaced.
const personInvitationSql = `case when u.state = 'invited' then (select i.id from invitations i
  where i.org_id = u.org_id and i.user_id = u.id and i.accepted_at is null and i.superseded_by is null order by i.id desc limit 1) end as invitation_id`;

const personColumnsSql = `${userColumnsSql}, u.purged_at, ${personGroupsSql}, ${personInvitationSql}`;

function rowToPerson(row: Record<string, unknown>): PersonRecord {
  const user = rowToUser(row) as PersonRecord;
  user.purgedAt = row.purged_at ? toDate(row.purged_at) : null;
  user.groups ??= [];
  user.invitationId = row.invitation_id ? String(row.invitation_id) : null;
  return user;
}

/** Deleted users too: admins see and restore them. */
export async function findPerson(em: Em, scope: Pick<Scope, 'orgId'>, id: string): Promise<PersonRecord | null> {
  if (!isUuid(id)) return null;
  const rows = await em.execute(`select ${personColumnsSql} from users u where u.org_id = ? and u.id = ?`, [scope.orgId, id]);
  return rows[0] ? rowToPerson(rows[0]) : null;
}

export async function getPerson(em: Em, scope: Pick<Scope, 'orgId'>, id: string): Promise<PersonRecord> {
  const person = await findPerson(em, scope, id);
  if (!person) throw new NotFoundError('User', id);
  return person;
}

// ---------------------------------------------------------------- listing

/** The list's filters (PeopleFilter: status by default every status but deleted; q a case-insensitive substring of userName, email, displayName or the name parts; ids), and its page. */
export interface PeopleQuery extends PeopleFilter {
  /** Keyset cursor: only users with an id after this one. */
  afterId?: string | undefined;
  limit: number;
}

export interface PeoplePage {
  users: PersonRecord[];
  /** Per status, honouring q and group but not the status filter (tab badges). */
  counts: StatusCounts;
  nextCursor: string | null;
}

/** `%` and `_` in the search are literal characters, not wildcards (escape character `!`). */
export function likePattern(q: string): string {
  return `%${q.replace(/[!%_]/g, '!$&')}%`;
}

/** The people filter (the list's "current view"), also used by the CSV export. */
export interface PeopleFilter {
  status?: StatusFilter | undefined;
  q?: string | undefined;
  groupId?: string | undefined;
  /** Selected users; ids of other orgs or unknown ids simply match nothing. */
  ids?: string[] | undefined;
}

/**
 * WHERE conditions over users `u` for a filter: `base` (org, search, group,
 * ids) and `status`, kept apart because the list's tab counts ignore status.
 */
export function peopleFilterSql(scope: Pick<Scope, 'orgId'>, filter: PeopleFilter, now: Date): { base: string[]; baseParams: unknown[]; status: { sql: string; params: unknown[] } } {
  const where = ['u.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  const q = filter.q?.trim();
  if (q) {
    const searched = ['u.user_name', 'u.email', 'u.display_name', 'u.given_name', 'u.family_name', `concat_ws(' ', u.given_name, u.family_name)`];
    where.push(`(${searched.map((c) => `${c} ilike ? escape '!'`).join(' or ')})`);
    params.push(...searched.map(() => likePattern(q)));
  }
  if (filter.groupId !== undefined) {
    if (!isUuid(filter.groupId)) throw ValidationError.field('group', 'must be a group id');
    where.push('exists (select 1 from memberships m where m.user_id = u.id and m.group_id = ? and m.org_id = ?)');
    params.push(filter.groupId, scope.orgId);
  }
  if (filter.ids !== undefined) {
    const bad = filter.ids.find((id) => !isUuid(id));
    if (bad !== undefined) throw ValidationError.field('ids', `must be user ids; "${bad.slice(0, 100)}" is not one`);
    where.push(filter.ids.length ? `u.id in (${filter.ids.map(() => '?').join(', ')})` : 'false');
    params.push(...filter.ids);
  }
  return { base: where, baseParams: params, status: statusFilterSql(filter.status, now) };
}

export async function listPeople(em: Em, scope: Pick<Scope, 'orgId'>, query: PeopleQuery, now: Date): Promise<PeoplePage> {
  const { base: where, baseParams: params, status } = peopleFilterSql(scope, query, now);
  const listWhere = [...where, status.sql];
  const listParams = [...params, ...status.params];
  if (query.afterId !== undefined) {
    if (!isUuid(query.afterId)) throw ValidationError.field('cursor', 'is not a cursor this API returned');
    listWhere.push('u.id > ?');
    listParams.push(query.afterId);
  }
  const rows = await em.execute(
    `select ${personColumnsSql} from users u where ${listWhere.join(' and ')} order by u.id limit ?`,
    [...listParams, query.limit + 1],
  );
  const users = rows.slice(0, query.limit).map(rowToPerson);
  const expr = statusSql(now);
  const countRows = await em.execute(`select ${expr.sql} as status, count(*)::int as n from users u where ${where.join(' and ')} group by 1`, [...expr.params, ...params]);
  return {
    users,
    counts: statusCounts(countRows.map((r) => [String(r.status), Number(r.n)] as const)),
    nextCursor: rows.length > query.limit ? users[users.length - 1]!.id : null,
  };
}

// ---------------------------------------------------------------- profile

/** What an admin may edit on a profile; `phone` is the profile's number (phoneNumbers' mobile/primary). */
export const profileFields = [
  'givenName', 'familyName', 'middleName', 'displayName', 'nickName', 'title', 'department', 'division',
  'organization', 'costCenter', 'employeeNumber', 'officeLocation', 'preferredLanguage', 'locale', 'timezone', 'phone',
] as const;
export type ProfileField = (typeof profileFields)[number];
/**
 * A profile change: the text fields above, and the manager by their user id (SCIM's enterprise
 * `manager.value`; saveUser checks it with SCIM's rules, and refuses a loop of managers, which SCIM
 * accepts: manager-chain.ts). Blank or null clears a field.
 */
export type ProfileChange = Partial<Record<ProfileField | 'managerId', string | null>>;

/**
 * Owned by the IdP for users it provisions (source `scim`): every SCIM User
 * attribute, which is every field above and the manager. An admin edit would be overwritten by
 * the next push, so it is refused rather than silently lost.
 */
export const scimOwnedFields: ReadonlySet<keyof ProfileChange> = new Set([...profileFields, 'managerId'] as const);

function fieldsOf(user: UserFields): UserFields {
  const fields = {} as Record<string, unknown>;
  for (const [field] of userFieldColumns) fields[field] = user[field];
  return fields as unknown as UserFields;
}

function withPhone(phones: UserFields['phoneNumbers'], phone: string | null): UserFields['phoneNumbers'] {
  const index = [phones.findIndex((p) => p.type === 'mobile' && p.value), phones.findIndex((p) => p.primary === true && p.value), phones.findIndex((p) => p.value)].find((i) => i >= 0);
  if (phone === null) return index === undefined ? phones : phones.filter((_, i) => i !== index);
  if (index === undefined) return [...phones, { value: phone, type: 'mobile', primary: true }];
  return phones.map((p, i) => (i === index ? { ...p, value: phone } : p));
}

export async function updateProfile(em: Em, scope: Scope, id: string, change: ProfileChange): Promise<{ user: PersonRecord; changed: boolean }> {
  const current = await getPerson(em, scope, id);
  if (!(await changeProfile(em, scope, current, change))) return { user: current, changed: false };
  return { user: await getPerson(em, scope, id), changed: true };
}

/**
 * updateProfile's write over `current` as just read, without reading the person again: whether
 * anything changed. A manager closing a loop is refused unless `managerLoops` is 'checked' (a CSV
 * import's preview refused loops in the org as its whole file leaves it: row by row, a swap of two
 * managers' places passes through one).
 */
export async function changeProfile(em: Em, scope: Scope, current: PersonRecord, change: ProfileChange, managerLoops: 'refuse' | 'checked' = 'refuse'): Promise<boolean> {
  const next = profileNext(scope, current, change);
  if (!next) return false;
  await saveUser(em, scope, current, next, { refuseManagerLoop: managerLoops === 'refuse' });
  return true;
}

/** What a profile change is applied to: a person's fields, with what the rules below read of them. */
export type ProfileTarget = UserFields & Pick<PersonRecord, 'phone' | 'source' | 'state' | 'orgRole'>;

/**
 * The fields changeProfile writes over `current` (saveUser validates them and writes those that
 * differ), or null when nothing changes; throws what it refuses. No database: the import's bulk
 * invitations compute their profile updates with it, as the row path does.
 */
export function profileNext(scope: Scope, current: ProfileTarget, change: ProfileChange): UserFields | null {
  assertMayChangeAccount(scope, current);
  if (current.state === 'deleted') throw new TransitionError('A deleted user cannot be edited; restore them first', { state: current.state });
  const next = fieldsOf(current);
  const differing: Array<keyof ProfileChange> = [];
  for (const [field, raw] of Object.entries(change) as Array<[keyof ProfileChange, string | null | undefined]>) {
    if (raw === undefined) continue;
    const value = typeof raw === 'string' && raw.trim() === '' ? null : typeof raw === 'string' ? raw.trim() : raw;
    if (field === 'phone') {
      if (value !== null && value.length > 50) throw ValidationError.field('phone', 'must be at most 50 characters');
      if (value !== current.phone) differing.push(field);
      next.phoneNumbers = value === current.phone ? next.phoneNumbers : withPhone(next.phoneNumbers, value);
    } else {
      if (value !== current[field]) differing.push(field);
      next[field] = value;
    }
  }
  if (current.source === 'scim') {
    const owned = differing.filter((f) => scimOwnedFields.has(f));
    if (owned.length) {
      throw new PermissionError(`${owned.join(', ')} ${owned.length === 1 ? 'is' : 'are'} managed by your identity provider (this user is provisioned over SCIM); change ${owned.length === 1 ? 'it' : 'them'} there`, {
        fields: owned,
        source: current.source,
      });
    }
  }
  return changedFields(current, next).length ? next : null;
}

// ---------------------------------------------------------------- lifecycle

/** Disable: no sign-in, sessions end at once (same statement), the seat is freed. */
export async function disableUser(em: Em, scope: Scope, id: string): Promise<PersonRecord> {
  const current = await getPerson(em, scope, id);
  assertMayChangeAccount(scope, current);
  nextState(current.state, 'disable');
  await saveUser(em, scope, current, fieldsOf(current), { active: false });
  return getPerson(em, scope, id);
}

/**
 * Reactivate a disabled user: back to active, which needs a free seat (saveUser takes the seat lock
 * when the org has a limit), or back to invited — no seat — for an invitee who never registered.
 */
export async function reactivateUser(em: Em, scope: Scope, id: string): Promise<PersonRecord> {
  const current = await getPerson(em, scope, id);
  assertMayChangeAccount(scope, current);
  nextState(current.state, 'reactivate');
  await saveUser(em, scope, current, fieldsOf(current), { active: true });
  return getPerson(em, scope, id);
}

/** Soft delete after the admin typed the user's email (or userName when there is none) to confirm. */
export async function deletePerson(em: Em, scope: Scope, id: string, confirmEmail: unknown): Promise<PersonRecord> {
  const current = await getPerson(em, scope, id);
  assertMayChangeAccount(scope, current);
  const expected = (current.email ?? current.userName).toLowerCase();
  if (typeof confirmEmail !== 'string' || confirmEmail.trim().toLowerCase() !== expected) {
    throw ValidationError.field('confirmEmail', `must be the user's email address${current.email ? '' : ' (this user has none: their userName)'}, to confirm the deletion`);
  }
  nextState(current.state, 'delete');
  await deleteUser(em, scope, id, current.version);
  return getPerson(em, scope, id);
}

/**
 * The state a deleted user goes back to: disabled if they were (disabledAt is
 * kept by delete and cleared by reactivation), invited if they had an
 * invitation and never signed in, else active.
 */
export function stateBeforeDeletion(user: Pick<UserRecord, 'disabledAt' | 'inviteExpiresAt' | 'lastActiveAt'>): 'disabled' | 'invited' | 'active' {
  return user.disabledAt ? 'disabled' : stateOnReturn(user);
}

/** Undo a delete within 30 days: state, profile, groups and data as they were. Restoring to active needs a seat. */
export async function restoreUser(em: Em, scope: Scope, id: string, now: Date): Promise<PersonRecord> {
  return transaction(em, scope, async (tx) => {
    const current = await getPerson(tx, scope, id);
    assertMayChangeAccount(scope, current);
    const to = nextState(current.state, 'restore', stateBeforeDeletion(current));
    if (current.purgedAt) {
      throw new TransitionError('This user was deleted more than 30 days ago and their personal data has been purged; they cannot be restored', { purgedAt: current.purgedAt });
    }
    if (current.deletedAt && now.getTime() - current.deletedAt.getTime() > RESTORE_WINDOW_DAYS * DAY_MS) {
      throw new TransitionError(
        `This user was deleted on ${current.deletedAt.toISOString().slice(0, 10)}, more than ${RESTORE_WINDOW_DAYS} days ago; deleted users can only be restored within ${RESTORE_WINDOW_DAYS} days`,
        { deletedAt: current.deletedAt, restoreWindowDays: RESTORE_WINDOW_DAYS },
      );
    }
    if (to === 'active') await assertSeatAvailable(tx, scope, { via: 'restore', userId: id, label: current.userName });
    // Their manager's chain may have come round to them while they were away (a deleted manager is no manager):
    // back, they would close the loop, which an admin is never let do (manager-chain.ts). Checked before anything is written.
    const loop = current.managerId ? await findManagerLoop(tx, scope, id, current.managerId) : null;
    if (loop) {
      const others = loop.slice(1, -1).map((p) => p.label).join(' or ');
      throw new ConflictError('managerId', `Restoring this user would close a loop of managers: ${loopText(loop.map((p) => p.label))}; change the manager of ${others} first (manager_cycle)`,
        { reason: 'manager_cycle', chain: loop });
    }
    const audit = auditInsertSql(scope, {
      action: auditAction.restore,
      target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
      // In the words of status (DESIGN "User status"), as the feed and the audit trail show people: pending, not invited.
      details: { restoredTo: userStatus({ state: to, inviteExpiresAt: current.inviteExpiresAt }, now), deletedAt: current.deletedAt },
    }, 'u');
    const rows = await tx.execute(
      `with u as (update users set state = ?, deleted_at = null, version = version + 1, updated_at = now()
                  where id = ? and org_id = ? and version = ? and state = 'deleted' returning *),
       a as (${audit.sql}) select id from u`,
      [to, id, scope.orgId, current.version, ...audit.params],
    ).catch((error: unknown) => {
      // A deleted user's userName is free (the unique index covers users who are not deleted): another may hold it now.
      if (uniqueViolationField(error) === 'userName') throw new ConflictError('userName', `Another user now has the userName "${current.userName}"; change theirs (or delete them) before restoring this one`);
      throw error;
    });
    if (!rows.length) throw new StaleVersionError('User', id);
    // Back to invited: their open invitation's link works again (or has expired meanwhile), on the record too.
    if (to === 'invited') await recordInviteeInvitation(tx, scope, id, 'restore');
    // IdP group mappings: their IdP groups and the mappings may have changed while they were deleted.
    await syncMappedMemberships(tx, scope, [id]);
    return getPerson(tx, scope, id);
  });
}

// ---------------------------------------------------------------- purge

/** What identifies a person in audit details: their names, addresses and numbers as stored before the purge. */
const personalColumnsSql = `user_name, external_id, given_name, family_name, middle_name, display_name, nick_name, email, phone, employee_number, emails, phone_numbers`;

function personalValues(row: Record<string, unknown>): string[] {
  const values: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    if (key === 'emails' || key === 'phone_numbers') {
      const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
      if (Array.isArray(list)) for (const item of list) if (item && typeof (item as { value?: unknown }).value === 'string') values.push((item as { value: string }).value);
    } else if (typeof value === 'string' && key !== 'id' && key !== 'org_id') {
      values.push(value);
    }
  }
  return values;
}

/**
 * Purges users deleted more than 30 days before `now` (all orgs, or one): the
 * row stays as a tombstone (id, org, state deleted, purged_at) with every
 * personal field emptied; memberships and sessions are deleted; audit events
 * about or by them keep their rows, anonymised (audit-anonymise.ts); their
 * invitations and mails go, invitations they sent forget them, and their reports' manager is
 * cleared (purge-traces.ts); their address's password and second factors go when no profile is
 * left for it (sign-in-secrets.ts).
 * One `user.purged` event per user, by the system (`deletedAt` as every timestamp of the feed,
 * gatehouse_iso); their earlier events keep only ids (Migration20261201050000_purged_events_keep_ids). Batched; safe to run
 * concurrently (SKIP LOCKED). Exported for the daily job.
 */
export async function purgeDeletedUsers(em: Em, now: Date, options: { orgId?: string; batchSize?: number } = {}): Promise<{ purged: number }> {
  const batchSize = options.batchSize ?? 500;
  const cutoff = new Date(now.getTime() - RESTORE_WINDOW_DAYS * DAY_MS);
  const emptied = userFieldColumns
    .filter(([field]) => field !== 'userName')
    .map(([field, column, kind]) => `${column} = ${kind === 'json' ? (field === 'scimAttributes' ? `'{}'::jsonb` : `'[]'::jsonb`) : 'null'}`);
  let purged = 0;
  for (;;) {
    const count = await em.transactional(async (tx) => {
      const rows = await tx.execute(
        `select id, org_id, ${personalColumnsSql} from users where state = 'deleted' and purged_at is null and deleted_at < ?${options.orgId ? ' and org_id = ?' : ''}
         order by deleted_at limit ? for update skip locked`,
        [cutoff, ...(options.orgId ? [options.orgId] : []), batchSize],
      );
      const ids = rows.map((r) => String(r.id));
      if (!ids.length) return 0;
      const list = ids.map(() => '?').join(', ');
      await tx.execute(`delete from memberships where user_id in (${list})`, ids);
      await tx.execute(`delete from sessions where user_id in (${list})`, ids);
      const people = rows.map((r) => ({ orgId: String(r.org_id), userId: String(r.id), personalValues: personalValues(r) }));
      await anonymiseAuditEvents(tx, people);
      await purgeInvitationsAndMail(tx, people.map((p) => ({ orgId: p.orgId, userId: p.userId, addresses: p.personalValues.filter((v) => v.includes('@')) })));
      await releaseReports(tx, people);
      await tx.execute(
        `update users set user_name = 'purged-' || id::text, ${emptied.join(', ')}, email = null, phone = null, purged_at = ?, version = version + 1, updated_at = now()
         where id in (${list})`,
        [now, ...ids],
      );
      await forgetUnusedSignInSecrets(tx, rows.map((r) => r.email).filter((e): e is string => typeof e === 'string'));
      await tx.execute(
        systemAuditSql({
          action: 'user.purged', targetType: 'user', orgId: 'org_id', targetId: 'id::text', targetLabel: `'purged user ' || id::text`,
          details: `jsonb_build_object('deletedAt', gatehouse_iso(deleted_at))`,
        }, `users where id in (${list})`),
        ids,
      );
      return ids.length;
    });
    purged += count;
    if (count < batchSize) return { purged };
  }
}
