import type { Em } from '../db/orm.ts';
import type { ImportAction } from '../db/entities/index.ts';
import { recordAuditSql } from './audit.ts';
import { ConflictError, DomainError, ValidationError } from './errors.ts';
import { createGroup } from './groups.ts';
import type { ImportProfileField, PlannedGroup, RowProblem } from './imports.ts';
import { createUsersBulk, type BulkNewUser } from './import-bulk.ts';
import { newPeopleManagers, rowManager, type RowManager } from './import-commit-managers.ts';
import type { ManagerData } from './import-managers.ts';
import { inviteUsersBulk, type BulkInvitee } from './import-invite-bulk.ts';
import { writeMembershipChanges, type MembershipChange } from './membership-changes.ts';
import { heldMemberships, idpOwned, refuseIdpOwned } from './memberships.ts';
import { newUserFields } from './import-rows.ts';
import { addToInvitationPlan } from './import-invitees.ts';
import { invitationContext, inviteOneOfMany, type InvitationContext } from './invitations.ts';
import { SeatLimitError } from './license.ts';
import { stateOnReturn } from './lifecycle.ts';
import { changeProfile, disableUser, getPerson, reactivateUser, type ProfileChange } from './people.ts';
import type { Scope } from './scope.ts';
import { validateUserFields } from './user-validation.ts';
import { createUser } from './users.ts';
import type { CommitDeps } from './import-commit.ts';

/**
 * Applying one batch of an import's rows, in the batch's transaction (import-commit.ts runs the
 * batches): new people in bulk when the whole batch is new people, else row by row, each row in a
 * savepoint of its own, so a row the directory refuses fails alone with its reason.
 */
export interface StoredRow {
  rowNumber: number;
  action: ImportAction;
  userId: string | null;
  label: string | null;
  data: { email?: string; newUserId?: string; profile?: Partial<Record<ImportProfileField, string>>; status?: 'active' | 'disabled' | null; groups?: PlannedGroup[]; manager?: ManagerData };
}

export interface Outcome {
  rowNumber: number;
  action: ImportAction;
  ok: boolean;
  error?: RowProblem;
  userId?: string;
  /** Applied by createUsersBulk: recorded by the high-water mark alone (explicitly too when it carries its manager). */
  bulk?: boolean;
  /** The row's manager, decided with its other changes: the last pass leaves the row alone. */
  manager?: RowManager;
}

/** A group as the commit writes it: its id, its name as the directory spells it (for audit labels), the row's role. */
interface ResolvedGroup {
  groupId: string;
  groupName: string;
  role: string;
  roleChange: boolean;
}

export type GroupCache = Map<string, { id: string; name: string }>;

/**
 * A group the preview found was deleted before the commit: the row fails with the row reason
 * `unknown_group`, as the preview would have said. A row outcome, never an API error body.
 */
class GroupGoneError extends Error {
  constructor(name: string) {
    super(`no group named "${name}": it was deleted after the preview`);
    this.name = 'GroupGoneError';
  }
}

/** What fails one row rather than the batch: the domain's refusals and a group gone since the preview. */
function failsRow(error: unknown): error is DomainError | GroupGoneError {
  return error instanceof DomainError || error instanceof GroupGoneError;
}

async function resolveGroups(tx: Em, scope: Scope, groups: PlannedGroup[], cache: GroupCache): Promise<ResolvedGroup[]> {
  const out: ResolvedGroup[] = [];
  for (const g of groups) {
    const key = g.name.toLowerCase();
    let group = cache.get(key);
    if (!group) {
      const found = g.groupId
        ? await tx.execute('select id, display_name from groups where org_id = ? and id = ?', [scope.orgId, g.groupId])
        : await tx.execute('select id, display_name from groups where org_id = ? and lower(display_name) = ?', [scope.orgId, key]);
      if (found[0]) group = { id: String(found[0].id), name: String(found[0].display_name) };
      // The preview found it, and someone deleted it since: the row fails; an old preview never undoes a deletion.
      else if (g.groupId) throw new GroupGoneError(g.name);
      else {
        const created = await createGroup(tx, scope, { displayName: g.name, externalId: null, description: null, scimAttributes: {} }, [], 'csv');
        group = { id: created.id, name: created.displayName };
      }
      cache.set(key, group);
    }
    out.push({ groupId: group.id, groupName: group.name, role: g.role, roleChange: Boolean(g.roleChange) });
  }
  return out;
}

/** What the batch's rows share, read at most once per batch: its groups, what inviting needs from the org, the Manager header. */
interface BatchContext {
  groupIds: GroupCache;
  invitations?: InvitationContext;
  /** The file's Manager header, naming the column in a row's `manager_not_set` note. */
  managerColumn: string;
  /** The create rows' managers who existed at preview, as decided for the batch (newPeopleManagers); absent without a Manager column. */
  managers?: Map<number, RowManager> | undefined;
}

export async function applyBatch(tx: Em, scope: Scope, deps: CommitDeps, rows: StoredRow[], mode: { noInvite: boolean; bulk: boolean; inviteBulk: boolean; managerColumn: string; withManagers: boolean }, groupIds: GroupCache): Promise<Outcome[]> {
  const { noInvite } = mode;
  const outcomes: Outcome[] = [];
  // New people whose manager exists are created with them (one query for the batch); a file without a Manager column reads nothing.
  const managers = mode.withManagers ? await newPeopleManagers(tx, scope, rows, mode.managerColumn) : undefined;
  const batch: BatchContext = { groupIds, managerColumn: mode.managerColumn, managers };
  // Fast path: new people without invitation in an org without a seat limit (a seat limit needs the locked per-user path).
  const bulk = mode.bulk ? rows.filter((r) => r.action === 'create' && r.data.newUserId) : [];
  if (bulk.length) {
    const users: BulkNewUser[] = [];
    for (const r of bulk) {
      // The preview flags what the directory refuses; a row that fails anyway (changed since) fails alone,
      // as on the per-row path, never the batch's one statement. createGroup writes in its own savepoint.
      try {
        const fields = newUserFields(r.data.email!, r.data.profile ?? {});
        if (managers) fields.managerId = managers.get(r.rowNumber)?.managerId ?? null;
        users.push({ key: r.rowNumber, id: r.data.newUserId!, fields: validateUserFields(fields), active: r.data.status !== 'disabled', groups: await resolveGroups(tx, scope, r.data.groups ?? [], groupIds) });
      } catch (error) {
        if (!failsRow(error)) throw error;
        outcomes.push({ rowNumber: r.rowNumber, action: 'create', ok: false, error: rowError(error) });
      }
    }
    const result = await createUsersBulk(tx, scope, users, 'csv', Boolean(managers?.size));
    for (const [rowNumber, userId] of result.created) {
      // Without a Manager column: the plain outcome, nothing more per row.
      const manager = managers?.get(rowNumber);
      outcomes.push(manager ? { rowNumber, action: 'create', ok: true, userId, bulk: true, manager } : { rowNumber, action: 'create', ok: true, userId, bulk: true });
    }
    for (const rowNumber of result.conflicts) outcomes.push({ rowNumber, action: 'create', ok: false, error: { column: null, reason: 'conflict', message: 'a user with this userName already exists' } });
  }
  const inBulk = new Set(bulk.map((r) => r.rowNumber));
  // New people invited in an org without a seat limit: set-based (import-invite-bulk.ts); what it leaves goes row by row.
  const invited = mode.inviteBulk ? rows.filter((r) => r.action === 'create' && r.data.email && r.data.status !== 'disabled') : [];
  if (invited.length) {
    const invitees: BulkInvitee[] = [];
    for (const r of invited) {
      inBulk.add(r.rowNumber);
      try {
        const wanted = await resolveGroups(tx, scope, r.data.groups ?? [], groupIds);
        invitees.push({ key: r.rowNumber, email: r.data.email!, name: r.data.profile?.displayName, groups: wanted.map((g) => ({ groupId: g.groupId, role: g.role })), profile: { ...(r.data.profile ?? {}) }, managerId: managers?.get(r.rowNumber)?.managerId });
      } catch (error) {
        if (!failsRow(error)) throw error;
        outcomes.push({ rowNumber: r.rowNumber, action: 'create', ok: false, error: rowError(error) });
      }
    }
    batch.invitations ??= await invitationContext(tx, scope);
    const result = await inviteUsersBulk(tx, deps, scope, batch.invitations, invitees, deps.now());
    for (const [rowNumber, userId] of result.created) outcomes.push({ rowNumber, action: 'create', ok: true, userId, ...withManager(managers, rowNumber) });
    for (const { key, error } of result.failed) outcomes.push({ rowNumber: key, action: 'create', ok: false, error: rowError(error) });
    for (const key of result.rowPath) inBulk.delete(key);
  }
  for (const row of rows) {
    if (inBulk.has(row.rowNumber)) continue;
    const known = new Set(groupIds.keys());
    try {
      const { userId, manager } = await tx.transactional((sp) => applyRow(sp, scope, deps, row, noInvite, batch));
      outcomes.push({ rowNumber: row.rowNumber, action: row.action, ok: true, userId, ...(manager ? { manager } : {}) });
    } catch (error) {
      if (!failsRow(error)) throw error;
      // The row's savepoint took the groups it created with it: the next row naming one creates it again.
      for (const key of groupIds.keys()) if (!known.has(key)) groupIds.delete(key);
      if (error instanceof SeatLimitError) await recordAuditSql(tx, scope, error.refusal);
      outcomes.push({ rowNumber: row.rowNumber, action: row.action, ok: false, error: rowError(error) });
    }
  }
  return outcomes;
}

/** A created row's manager, decided for the batch: the last pass leaves the row. */
function withManager(managers: Map<number, RowManager> | undefined, rowNumber: number): { manager?: RowManager } {
  const manager = managers?.get(rowNumber);
  return manager ? { manager } : {};
}

/** A row the domain refused at commit: failed with the domain's code and words. */
function rowError(error: DomainError | GroupGoneError): RowProblem {
  if (error instanceof GroupGoneError) return { column: null, reason: 'unknown_group', message: error.message };
  return { column: null, reason: error instanceof ValidationError ? 'invalid_input' : error.code, message: error.message };
}

/** A row applied: its person, and its manager when the row pass decided it (update rows: rowManager; create rows: newPeopleManagers). */
interface Applied {
  userId: string;
  manager?: RowManager | undefined;
}

/** One row through the domain functions the admin API uses; runs in a savepoint. */
async function applyRow(tx: Em, scope: Scope, deps: CommitDeps, row: StoredRow, noInvite: boolean, batch: BatchContext): Promise<Applied> {
  const { profile = {}, status = null, groups = [] } = row.data;
  if (row.action === 'disable') {
    await disableUser(tx, scope, row.userId!);
    return { userId: row.userId! };
  }
  const wanted = await resolveGroups(tx, scope, groups, batch.groupIds);
  let user: { id: string; label: string };
  let manager: RowManager | undefined;
  if (row.action === 'create') {
    const email = row.data.email!;
    // A manager who exists is the new person's from the start: their user.created carries it.
    const decided = batch.managers?.get(row.rowNumber);
    if (noInvite) {
      const created = await createUser(tx, scope, { ...newUserFields(email, profile), managerId: decided?.managerId ?? null }, { source: 'csv', active: status !== 'disabled' });
      user = { id: created.id, label: created.userName };
      manager = decided;
    } else {
      // inviteMany's work for one address, in this row's savepoint, with the org read once per batch.
      batch.invitations ??= await invitationContext(tx, scope);
      const sent = await inviteOneOfMany(tx, deps, scope, batch.invitations, { email, name: profile.displayName, groups: wanted.map((g) => ({ groupId: g.groupId, role: g.role })), managerId: decided?.managerId }, deps.now());
      if (typeof sent === 'string') throw new ConflictError('email', `not invited: ${sent}`);
      const change: ProfileChange = { ...profile };
      let person = Object.keys(change).length ? await getPerson(tx, scope, sent.userId) : undefined;
      if (person) await changeProfile(tx, scope, person, change);
      if (status === 'disabled') await disableUser(tx, scope, sent.userId);
      // A restored profile keeps its own manager: the last pass sets the row's, as for an update.
      if (decided?.managerId) person ??= await getPerson(tx, scope, sent.userId);
      return { userId: sent.userId, manager: decided?.managerId && person?.managerId !== decided.managerId ? undefined : decided };
    }
  } else {
    const userId = row.userId!;
    const current = await getPerson(tx, scope, userId);
    manager = await rowManager(tx, scope, current, row.data.manager, batch.managerColumn);
    // One profile change, so one user.updated, with the manager as an admin's PATCH writes it (loops: refused at preview).
    const changed = await changeProfile(tx, scope, current, manager?.managerId ? { ...profile, managerId: manager.managerId } : profile, 'checked');
    const person = changed ? await getPerson(tx, scope, userId) : current;
    user = { id: person.id, label: person.userName };
    // Someone invited who has not registered: the groups join their invitation's plan (the preview counted it), not live memberships.
    const planned = (person.state === 'invited' || (person.state === 'disabled' && stateOnReturn(person) === 'invited')) && (await addToInvitationPlan(tx, scope, user, wanted));
    if (status === 'disabled' && (person.state === 'active' || person.state === 'invited')) await disableUser(tx, scope, userId);
    if (status === 'active' && person.state === 'disabled') await reactivateUser(tx, scope, userId);
    if (planned) return { userId, manager };
  }
  await writeMembershipChanges(tx, scope, await membershipChanges(tx, scope, user, wanted));
  return { userId: user.id, manager };
}

/**
 * The admin API's membership writes (one membership.added or membership.role_changed
 * event each, README "Entry points and memberships"): groups to join, and the roles
 * the row changed. A group joined since the preview keeps its role unless the row
 * changes it; the IdP's memberships are never changed (the preview refused those).
 */
async function membershipChanges(tx: Em, scope: Scope, user: { id: string; label: string }, wanted: ResolvedGroup[]): Promise<MembershipChange[]> {
  // Read only when the row changes a role: a plain add needs no look (on conflict, nothing).
  const held = new Map(wanted.some((g) => g.roleChange) ? (await heldMemberships(tx, scope, { userId: user.id })).map((m) => [m.groupId, m] as const) : []);
  const changes: MembershipChange[] = [];
  for (const g of wanted) {
    const group = { id: g.groupId, label: g.groupName };
    const current = g.roleChange ? held.get(g.groupId) : undefined;
    if (!current) changes.push({ action: 'add', user, group, role: g.role, source: 'csv', viaMapping: false });
    else if (current.role !== g.role) {
      if (idpOwned(current)) refuseIdpOwned([current], 'This membership is');
      changes.push({ action: 'change', user, group, role: g.role, source: current.source, viaMapping: current.viaMapping, from: current });
    }
  }
  return changes;
}
