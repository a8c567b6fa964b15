import type { Em } from '../db/orm.ts';
import { dbOf, executeHot, type Db, type SqlRunner } from '../db/bound-query.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { uuidv7 } from '../lib/ids.ts';
import { auditInsertSql } from './audit.ts';
import { recordInviteeInvitation } from './invitee-invitation.ts';
import { ConflictError, StaleVersionError } from './errors.ts';
import { activeChange, noteHeldActivation } from './activation-hold.ts';
import { auditAction, disableSourceOf, nextState, stateOnReturn } from './lifecycle.ts';
import { assertSeatAvailable, noSeatLimitSql } from './license.ts';
import { assertNotLastOrgAdmin, losesOrgAdmin } from './org-admins.ts';
import { transaction } from './transaction.ts';
import type { Scope } from './scope.ts';
import { assertNoManagerLoop } from './manager-chain.ts';
import { getUser } from './user-queries.ts';
import { primaryEmail, primaryPhone, rowToUser, userColumnsSql, userFieldColumns, userGroupsSql, type UserFields, type UserRecord } from './user-record.ts';
import { assertManager, changedFields, describeChanges, validateUserFields } from './user-validation.ts';

// Still importable from here, where it was defined before the field rules had a file of their own.
export { PHONE_MAX_LENGTH } from './user-validation.ts';

/**
 * Users: writes as single SQL statements (reads: user-queries.ts; field rules:
 * user-validation.ts). Each write is one data-modifying CTE (change + session
 * revocation + audit event), so it is atomic without a transaction round trip
 * and the audit event exists exactly when the change does. The org is always
 * part of the WHERE clause.
 */

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
  /** Refuse a manager who would close a loop of managers (an admin's change; SCIM's IdP may push one transiently). */
  refuseManagerLoop?: boolean;
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
  const { transition, held, adopted } = activeChange(scope, current, options.active);
  if (!changed.length && !transition && !adopted) {
    if (held) await noteHeldActivation(em, scope, current);
    return { user: current, changed: false };
  }
  if (changed.includes('managerId') && next.managerId !== null) {
    await assertManager(em, scope, next.managerId, current.id);
    if (options.refuseManagerLoop) await assertNoManagerLoop(em, scope, current.id, next.managerId);
  }

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
