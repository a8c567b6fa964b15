import type { Em } from '../db/orm.ts';
import { dbOf, executeHot, type Db, type SqlRunner } from '../db/bound-query.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { uuidv7, isUuid } from '../lib/ids.ts';
import { jsonEqual } from '../lib/equal.ts';
import { auditInsertSql } from './audit.ts';
import { recordInviteeInvitation } from './invitee-invitation.ts';
import { changedKeys } from './audit-changes.ts';
import { ConflictError, NotFoundError, StaleVersionError, ValidationError, type FieldProblem } from './errors.ts';
import { noteHeldActivation } from './activation-hold.ts';
import { auditAction, disableSourceOf, isLocalDisable, nextState, stateOnReturn, transitionForActive, type Transition } from './lifecycle.ts';
import { assertSeatAvailable, noSeatLimitSql } from './license.ts';
import { assertNotLastOrgAdmin, losesOrgAdmin } from './org-admins.ts';
import { transaction } from './transaction.ts';
import { liveUserCountSql } from './user-counts.ts';
import type { Scope } from './scope.ts';
import {
  primaryEmail,
  primaryPhone,
  rowToUser,
  userColumnsSql,
  userFieldColumns,
  userGroupsSql,
  type UserFields,
  type UserRecord,
} from './user-record.ts';

/**
 * Users: reads and writes as single SQL statements. Each write is one
 * data-modifying CTE (change + session revocation + audit event), so it is
 * atomic without a transaction round trip and the audit event exists exactly
 * when the change does. The org is always part of the WHERE clause.
 */

export const userFieldMaxLength: Readonly<Partial<Record<keyof UserFields, number>>> = {
  userName: 320, externalId: 320, givenName: 200, familyName: 200, middleName: 200, honorificPrefix: 50,
  honorificSuffix: 50, displayName: 300, nickName: 200, title: 200, userType: 100, preferredLanguage: 50,
  locale: 50, timezone: 100, department: 200, employeeNumber: 100, costCenter: 100, organization: 200,
  division: 200, managerId: 320, officeLocation: 200,
};

/** The profile's number (the `phone` column, primaryPhone of phoneNumbers) holds at most this many characters. */
export const PHONE_MAX_LENGTH = 50;

/** The profile's address (the `email` column, primaryEmail of emails) holds at most this many characters. */
export const EMAIL_MAX_LENGTH = 320;

/**
 * The text fields longer than their column allows, with the limit: the one
 * length rule of every write path (validateUserFields below, and the CSV
 * preview, which flags a row the commit would refuse).
 */
export function overLongFields(fields: UserFields): Array<{ field: keyof UserFields | 'phone'; limit: number }> {
  const found: Array<{ field: keyof UserFields | 'phone'; limit: number }> = [];
  for (const [field, limit] of Object.entries(userFieldMaxLength) as Array<[keyof UserFields, number]>) {
    const value = fields[field];
    if (typeof value === 'string' && value.length > limit) found.push({ field, limit });
  }
  const phone = Array.isArray(fields.phoneNumbers) ? primaryPhone(fields.phoneNumbers) : null;
  if (phone !== null && phone.length > PHONE_MAX_LENGTH) found.push({ field: 'phone', limit: PHONE_MAX_LENGTH });
  // An IdP's address of any length reached the varchar(320) column as a 500; measured as stored (lower-cased).
  const email = Array.isArray(fields.emails) ? primaryEmail(fields.emails) : null;
  if (email !== null && email.length > EMAIL_MAX_LENGTH) found.push({ field: 'emails', limit: EMAIL_MAX_LENGTH });
  return found;
}

export function validateUserFields(fields: UserFields): UserFields {
  const problems: FieldProblem[] = [];
  const userName = typeof fields.userName === 'string' ? fields.userName.trim() : '';
  if (!userName) problems.push({ field: 'userName', reason: 'is required' });
  for (const field of Object.keys(userFieldMaxLength) as Array<keyof UserFields>) {
    const value = fields[field];
    if (value !== null && typeof value !== 'string') problems.push({ field, reason: 'must be a string' });
  }
  for (const field of ['emails', 'phoneNumbers'] as const) {
    if (!Array.isArray(fields[field])) problems.push({ field, reason: 'must be a list' });
  }
  for (const { field, limit } of overLongFields(fields)) problems.push({ field, reason: `must be at most ${limit} characters` });
  if (problems.length) throw new ValidationError(problems);
  // An empty manager is none: Entra clears the enterprise manager by sending an empty value.
  const managerId = typeof fields.managerId === 'string' && fields.managerId.trim() === '' ? null : fields.managerId;
  return { ...fields, userName, managerId };
}

/**
 * The manager (the enterprise extension's `manager.value`, RFC 7643 §4.3: "the id of the SCIM
 * resource representing the User's manager") must be a user of this org who is not deleted:
 * Entra sends the id Gatehouse gave the manager, provisioned first. Anything else (an id of
 * another org, a deleted user, a directory's own reference) is refused, with the same words
 * for another org's user as for an id nobody has; nor the user themself. Callers check it when the manager changes,
 * so a PUT that repeats a manager deleted since still applies.
 */
async function assertManager(sql: SqlRunner, scope: Pick<Scope, 'orgId'>, managerId: string, userId?: string): Promise<void> {
  if (managerId === userId) {
    throw ValidationError.field('managerId', `${JSON.stringify(managerId)} is this user; a person cannot be their own manager (send an empty value for no manager)`);
  }
  const rows = isUuid(managerId)
    ? await executeHot(sql, 'select state from users where org_id = ? and id = ?', [scope.orgId, managerId], { prepare: true })
    : [];
  if (rows[0] && rows[0].state !== 'deleted') return;
  const reason = rows[0]
    ? `${JSON.stringify(managerId)} is a deleted user; name a user who is not deleted, or send an empty value for no manager`
    : `${JSON.stringify(managerId)} is not the id of a user of this organization; send the id Gatehouse returned for the manager, or an empty value for no manager`;
  throw ValidationError.field('managerId', reason);
}

interface ReadOptions {
  withGroups?: boolean;
  includeDeleted?: boolean;
}

export async function findUser(em: SqlRunner, scope: Pick<Scope, 'orgId'>, id: string, options: ReadOptions = {}): Promise<UserRecord | null> {
  if (!isUuid(id)) return null;
  const rows = await executeHot(
    em,
    `select ${userColumnsSql}${options.withGroups ? `, ${userGroupsSql}` : ''}
     from users u where u.org_id = ? and u.id = ?${options.includeDeleted ? '' : ` and u.state <> 'deleted'`}`,
    [scope.orgId, id],
    { prepare: true },
  );
  return rows[0] ? rowToUser(rows[0]) : null;
}

/**
 * The user with this userName (compared case-insensitively, as the unique index
 * does), or null: what an IdP asks before every create (`userName eq "…"`).
 * One key lookup, where the general list query would also count the matches.
 */
export async function findUserByUserName(em: SqlRunner, scope: Pick<Scope, 'orgId'>, userName: string, options: Pick<ReadOptions, 'withGroups'> = {}): Promise<UserRecord | null> {
  const rows = await executeHot(
    em,
    `select ${userColumnsSql}${options.withGroups ? `, ${userGroupsSql}` : ''}
     from users u where u.org_id = ? and lower(u.user_name) = lower(?) and u.state <> 'deleted'`,
    [scope.orgId, userName],
    { prepare: true },
  );
  return rows[0] ? rowToUser(rows[0]) : null;
}

export async function getUser(em: SqlRunner, scope: Pick<Scope, 'orgId'>, id: string, options: ReadOptions = {}): Promise<UserRecord> {
  const user = await findUser(em, scope, id, options);
  if (!user) throw new NotFoundError('User', id);
  return user;
}

export interface UserQuery {
  /** A boolean SQL expression over alias `u`, with `?` placeholders (from a filter translator). */
  where?: { sql: string; params: unknown[] };
  /** ORDER BY expression over alias `u`; `u.id` is always appended so order is total and stable. */
  orderBy?: string;
  limit: number;
  offset?: number;
  /** Keyset pagination: only ids after this one (ordered by id). */
  afterId?: string;
  withGroups?: boolean;
  /** Also count all matches (SCIM totalResults). */
  count?: boolean;
}

/**
 * One statement per page: `page` picks the ids (the OFFSET walks a narrow index,
 * never whole rows), `total` counts the matches, and only the page's rows are
 * read in full and get their groups. A page past the end still returns the total
 * (one row of nulls from the left join). The plain listing reads the org's
 * maintained live-user count instead of counting, and walks from whichever end
 * of the org is nearer.
 */
export async function queryUsers(em: SqlRunner, scope: Pick<Scope, 'orgId'>, query: UserQuery): Promise<{ users: UserRecord[]; total: number }> {
  const where = [`u.org_id = ?`, `u.state <> 'deleted'`];
  const params: unknown[] = [scope.orgId];
  if (query.where) {
    where.push(`(${query.where.sql})`);
    params.push(...query.where.params);
  }
  const matchSql = where.join(' and ');
  const matchParams = [...params];
  if (query.afterId) {
    where.push('u.id > ?');
    params.push(query.afterId);
  }
  const order = query.orderBy ? `${query.orderBy}, u.id` : 'u.id';
  const offset = query.offset ?? 0;
  const ctes: string[] = [];
  const all: unknown[] = [];
  if (query.count && !query.where) {
    // Every live user of the org: the count the database keeps, not a count of the org.
    ctes.push(`total as (${liveUserCountSql})`);
    all.push(scope.orgId);
  } else if (query.count) {
    ctes.push(`total as (select count(*)::int as n from users u where ${matchSql})`);
    all.push(...matchParams);
  }
  const ids = `select u.id from users u where ${where.join(' and ')}`;
  if (query.count && !query.where && !query.orderBy && !query.afterId) {
    // The plain listing by startIndex: knowing the total, a page in the second half is read
    // walking from the end, so the last page costs what the first does (the middle is the deepest).
    ctes.push(`page as (
       select f.id from (${ids} order by u.id limit ? offset ?) f where ?::bigint * 2 <= (select n from total)
       union all
       select b.id from (${ids} order by u.id desc
         limit least(?::bigint, greatest((select n from total) - ?::bigint, 0)) offset greatest((select n from total) - ?::bigint - ?::bigint, 0)) b
       where ?::bigint * 2 > (select n from total))`);
    all.push(...params, query.limit, offset, offset, ...params, query.limit, offset, offset, query.limit, offset);
  } else {
    ctes.push(`page as (${ids} order by ${order} limit ? offset ?)`);
    all.push(...params, query.limit, offset);
  }
  // Each page row fetched by its key: the planner cannot tell how many ids a page gives (the
  // walk from the end has computed bounds) and would otherwise merge-join the users table from its start.
  const pageRows = 'page cross join lateral (select * from users x where x.id = page.id offset 0) u';
  // The plain listing (no filter, no sort: an IdP's import walking every page) is one
  // fixed statement whose plan does not hinge on the values: prepared, PostgreSQL plans it
  // once per connection instead of on every page (its CTEs and groups sub-select made
  // planning a visible share of a page). Filters vary in shape and selectivity: planned each time.
  const rows = await executeHot(
    em,
    `with ${ctes.join(', ')}
     select ${query.count ? 'total.n as total_count, ' : ''}${userColumnsSql}${query.withGroups ? `, ${userGroupsSql}` : ''}
     from ${query.count ? `total left join (${pageRows}) on true` : pageRows}
     order by ${order}`,
    all,
    { prepare: !query.where && !query.orderBy },
  );
  const users = rows.filter((row) => row.id !== null && row.id !== undefined).map(rowToUser);
  const total = query.count ? Number(rows[0]?.total_count ?? 0) : users.length;
  return { users, total };
}

interface CteParts {
  ctes: string[];
  params: unknown[];
}

function selectWritten(withGroups: boolean): string {
  return `select ${userColumnsSql}${withGroups ? `, ${userGroupsSql}` : ''} from u`;
}

async function runWrite(em: SqlRunner, parts: CteParts, withGroups: boolean, prepare = false): Promise<UserRecord | null> {
  try {
    const rows = await executeHot(em, `with ${parts.ctes.join(',\n')} ${selectWritten(withGroups)}`, parts.params, { prepare });
    return rows[0] ? rowToUser(rows[0]) : null;
  } catch (error) {
    if (uniqueViolationField(error) === 'userName') {
      throw new ConflictError('userName', 'A user with this userName already exists in this organization (userName is compared case-insensitively)');
    }
    throw error;
  }
}

export function revokeSessionsCte(): string {
  return `s as (update sessions set revoked_at = now(), updated_at = now() where org_id = (select org_id from u) and user_id in (select id from u) and revoked_at is null)`;
}

export interface CreateUserOptions {
  source: UserSource;
  /** false creates the user disabled (SCIM `active: false`). */
  active?: boolean;
  withGroups?: boolean;
  /**
   * The request's time as created_at (and updated_at), for a caller that writes the same time elsewhere on
   * the new profile (SSO's last_active_at): never earlier than created. Absent: the transaction's now().
   */
  now?: Date;
}

export async function createUser(from: Em | Db, scope: Scope, input: UserFields, options: CreateUserOptions): Promise<UserRecord> {
  const db = dbOf(from);
  const fields = validateUserFields(input);
  if (fields.managerId !== null) await assertManager(db.sql, scope, fields.managerId);
  const disabled = options.active === false;
  const columns = ['id', 'org_id', ...userFieldColumns.map(([, c]) => c), 'email', 'phone', 'state', 'source', 'disabled_at', 'disabled_by', 'version', 'created_at', 'updated_at'];
  const values: unknown[] = [uuidv7(), scope.orgId];
  const placeholders = ['?', '?'];
  for (const [field, , kind] of userFieldColumns) {
    values.push(kind === 'json' ? JSON.stringify(fields[field]) : fields[field]);
    placeholders.push(kind === 'json' ? '?::jsonb' : '?');
  }
  values.push(primaryEmail(fields.emails), primaryPhone(fields.phoneNumbers), disabled ? 'disabled' : 'active', options.source, disabled ? disableSourceOf(scope) : null);
  placeholders.push('?', '?', '?', '?', disabled ? 'now()' : 'null', '?', '1');
  if (options.now) {
    values.push(options.now, options.now);
    placeholders.push('?::timestamptz', '?::timestamptz');
  } else placeholders.push('now()', 'now()');
  const audit = auditInsertSql(scope, {
    action: 'user.created',
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    details: { source: options.source, active: !disabled },
  }, 'u');
  const parts = (guard: boolean): CteParts => ({
    ctes: [
      guard
        ? `u as (insert into users (${columns.join(', ')}) select ${placeholders.join(', ')} where ${noSeatLimitSql()} returning *)`
        : `u as (insert into users (${columns.join(', ')}) values (${placeholders.join(', ')}) returning *)`,
      `a as (${audit.sql})`,
    ],
    params: [...values, ...(guard ? [scope.orgId] : []), ...audit.params],
  });
  // A user this statement creates (a fresh id) belongs to no group yet: no groups sub-select to run.
  const grouped = (user: UserRecord): UserRecord => (options.withGroups ? { ...user, groups: [] } : user);
  if (disabled) return grouped((await runWrite(db.sql, parts(false), false, true))!);
  // Seat licence: with no seat limit (the common case) the guarded insert is the
  // whole write, one statement. With a limit it inserts nothing, and the create
  // runs again in a transaction that holds the org's seat lock.
  const user = await runWrite(db.sql, parts(true), false, true);
  if (user) return grouped(user);
  return grouped(await transaction(db.em, scope, async (tx) => {
    await assertSeatAvailable(tx, scope, { via: 'create', label: fields.userName });
    return (await runWrite(tx, parts(false), false))!;
  }));
}

export interface SaveUserOptions {
  /** SCIM `active` as given; undefined leaves the state alone (a PUT that omits it does not deactivate). */
  active?: boolean | undefined;
  withGroups?: boolean;
}

/** The fields that differ between the stored user and the wanted one. */
export function changedFields(current: UserFields, next: UserFields): Array<keyof UserFields> {
  return userFieldColumns.map(([field]) => field).filter((field) => !jsonEqual(current[field], next[field]));
}

/**
 * Writes `next` over `current` (as read at `current.version`). Nothing changed →
 * nothing written (no version bump, no audit event). A concurrent change since
 * the read → StaleVersionError, so callers can re-read and retry, or answer 412.
 */
export async function saveUser(
  em: Em,
  scope: Scope,
  current: UserRecord,
  input: UserFields,
  options: SaveUserOptions = {},
): Promise<{ user: UserRecord; changed: boolean }> {
  const next = validateUserFields(input);
  const changed = changedFields(current, next);
  let transition: Transition | undefined = options.active === undefined ? undefined : transitionForActive(current.state, options.active);
  const fromIdp = scope.actor.type === 'scim_token';
  // The IdP's `active: true` does not undo a disable made here: the rest of its write applies.
  const held = fromIdp && transition === 'reactivate' && isLocalDisable(current.disabledBy);
  if (held) transition = undefined;
  // The IdP disabling a person disabled here makes the disable its own, so its later enable counts.
  const adopted = fromIdp && options.active === false && current.state === 'disabled' && isLocalDisable(current.disabledBy);
  if (!changed.length && !transition && !adopted) {
    if (held) await noteHeldActivation(em, scope, current);
    return { user: current, changed: false };
  }
  if (changed.includes('managerId') && next.managerId !== null) await assertManager(em, scope, next.managerId, current.id);

  const sets: string[] = [];
  const params: unknown[] = [];
  const columnOf = new Map(userFieldColumns.map(([f, c, k]) => [f, [c, k] as const]));
  for (const field of changed) {
    const [column, kind] = columnOf.get(field)!;
    sets.push(kind === 'json' ? `${column} = ?::jsonb` : `${column} = ?`);
    params.push(kind === 'json' ? JSON.stringify(next[field]) : next[field]);
  }
  if (changed.includes('emails')) {
    sets.push('email = ?');
    params.push(primaryEmail(next.emails));
  }
  if (changed.includes('phoneNumbers')) {
    sets.push('phone = ?');
    params.push(primaryPhone(next.phoneNumbers));
  }
  const to = transition ? nextState(current.state, transition, stateOnReturn(current)) : current.state;
  if (transition) {
    sets.push('state = ?');
    params.push(to);
    sets.push(transition === 'disable' ? 'disabled_at = now(), disabled_by = ?' : 'disabled_at = null, disabled_by = null');
    if (transition === 'disable') params.push(disableSourceOf(scope));
  }
  if (adopted) sets.push(`disabled_by = 'scim'`);
  sets.push('version = version + 1', 'updated_at = now()');

  const audit = auditInsertSql(scope, {
    // The IdP adopting a disable and nothing else changes nothing the feed shows: an audit entry only.
    action: transition ? auditAction[transition] : changed.length ? 'user.updated' : 'user.disable_adopted',
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    details: {
      changes: describeChanges(current, next, changed),
      ...(adopted ? { disabledBy: { from: current.disabledBy, to: 'scim' } } : {}),
    },
  }, 'u');
  const parts = (guard: boolean): CteParts => {
    const ctes = [
      `u as (update users set ${sets.join(', ')} where id = ? and org_id = ? and version = ? and state <> 'deleted'${guard ? ` and ${noSeatLimitSql()}` : ''} returning *)`,
    ];
    const all = [...params, current.id, scope.orgId, current.version, ...(guard ? [scope.orgId] : [])];
    if (transition === 'disable') ctes.push(revokeSessionsCte());
    ctes.push(`a as (${audit.sql})`);
    all.push(...audit.params);
    return { ctes, params: all };
  };
  const withGroups = options.withGroups ?? false;
  // Only a move to active takes a seat: an invitee going back to invited holds none.
  const activates = transition === 'reactivate' && to === 'active';
  const guardsAdmin = transition === 'disable' && losesOrgAdmin(current);
  // A pending or expired invitee's open invitation stops or starts working with them: on the record too.
  const invitee = (transition === 'disable' || transition === 'reactivate') && (current.state === 'invited' || to === 'invited') ? transition : undefined;
  let user =
    guardsAdmin || invitee
      ? await transaction(em, scope, async (tx) => {
          // Disabling an org admin takes the org lock first: the last one must stay (issue 7).
          if (guardsAdmin) await assertNotLastOrgAdmin(tx, scope, current.id, 'disable');
          const written = await runWrite(tx, parts(false), withGroups);
          if (written && invitee) await recordInviteeInvitation(tx, scope, current.id, invitee);
          return written;
        })
      : await runWrite(em, parts(activates), withGroups);
  if (!user && activates) {
    // No row: a stale version, or an org with a seat limit (see createUser).
    user = await transaction(em, scope, async (tx) => {
      await assertSeatAvailable(tx, scope, { via: 'reactivate', userId: current.id, label: current.userName });
      return runWrite(tx, parts(false), withGroups);
    });
  }
  if (!user) throw new StaleVersionError('User', current.id);
  if (held) await noteHeldActivation(em, scope, user);
  return { user, changed: true };
}

/**
 * Each changed field before and after (the audit trail's "what changed").
 * The raw SCIM attributes can be large: only their changed top-level keys.
 */
export function describeChanges(current: UserFields, next: UserFields, fields: Array<keyof UserFields>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    out[field] = field === 'scimAttributes' ? changedKeys(current.scimAttributes, next.scimAttributes) : { from: current[field], to: next[field] };
  }
  return out;
}

/** Soft delete (status `deleted`, restorable for 30 days): sessions end, the seat is freed, memberships are kept. */
export async function deleteUser(em: Em, scope: Scope, id: string, expectedVersion?: number): Promise<void> {
  const current = await getUser(em, scope, id);
  nextState(current.state, 'delete');
  const audit = auditInsertSql(scope, {
    action: auditAction.delete,
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    details: { previousState: current.state },
  }, 'u');
  const write = (tx: Em) => runWrite(
    tx,
    {
      ctes: [
        `u as (update users set state = 'deleted', deleted_at = now(), version = version + 1, updated_at = now()
              where id = ? and org_id = ? and version = ? returning *)`,
        revokeSessionsCte(),
        `a as (${audit.sql})`,
      ],
      params: [id, scope.orgId, expectedVersion ?? current.version, ...audit.params],
    },
    false,
  );
  const guardsAdmin = losesOrgAdmin(current);
  // A pending or expired invitee's open invitation stops working with them: on the record too.
  const invitee = current.state === 'invited';
  const user = guardsAdmin || invitee
    ? await transaction(em, scope, async (tx) => {
        if (guardsAdmin) await assertNotLastOrgAdmin(tx, scope, id, 'delete');
        const written = await write(tx);
        if (written && invitee) await recordInviteeInvitation(tx, scope, id, 'delete');
        return written;
      })
    : await write(em);
  if (!user) throw new StaleVersionError('User', id);
}
