import type { Em } from '../db/orm.ts';
import type { UserSource } from '../db/entities/index.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import { uuidv7, isUuid } from '../lib/ids.ts';
import { ValidationError } from './errors.ts';
import type { Scope } from './scope.ts';
import { defaultMembershipRole, getOrgSettings } from './org-settings.ts';

/**
 * The members of a group the IdP owns, as SCIM writes change them (directory/groups.ts:
 * createGroup, saveGroup). Set-based, whatever the size of the list: one read tells, for every
 * id named and every current member, whether it is a member (with its role) and a live user of
 * the org; then one DELETE and one INSERT, each taking its ids as one bound array. The caller's
 * one audit row lists the members added and removed, and the events trigger gives each its own
 * membership.added / membership.removed in the feed.
 */

/** How a write changes membership: a full replacement (`set`), or additions and removals. */
export interface MembersChange {
  set?: string[];
  add?: string[];
  remove?: string[];
}

/** A membership a write ended, with the role it had (the feed's membership.removed names it). */
export interface RemovedMember {
  id: string;
  role: string;
}

/** What the one read found for an id: a membership (with its role) and the user's state in this org. */
interface Found {
  member: boolean;
  role: string | null;
  /** null: no user of this org has this id. */
  state: string | null;
}

/** How many refused members an error names one by one; the rest are counted. */
const REFUSED_LISTED = 10;

/**
 * Values that are no users of this org, each named as a SCIM path (`members[value eq "…"]`).
 * Another org's user reads as an id nobody has.
 */
function refusedMembers(refused: string[]): ValidationError {
  const problems = refused.slice(0, REFUSED_LISTED).map((id) => ({ field: `members[value eq ${JSON.stringify(id)}]`, reason: 'is not the id of a user of this organization' }));
  const more = refused.length - problems.length;
  const listed = problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
  return new ValidationError(problems, more > 0 ? `${listed}; and ${more} more refused members` : undefined, { refusedMembers: refused.length });
}

/**
 * The one read: the named ids (those that are uuids) and the group's memberships — all of
 * them for a replacement, else only the named ones' — fully joined, each with its user's state
 * in this org. Each user is fetched by its key and only then checked against the org (`offset 0`,
 * the org outside): with the org inside, a planner without statistics (a fresh table, a first
 * big push) walks the org's users once per id, as the join this replaces did (1.3–3 s for a
 * 3,000-member group; 3.8 s written with the org inside).
 */
async function readMembers(tx: Em, scope: Scope, groupId: string, named: string[], allMembers: boolean): Promise<Map<string, Found>> {
  const rows = await executeBound(
    tx,
    `with named as (select distinct x.id from unnest(?::uuid[]) as x(id)),
          held as (select m.user_id, m.role from memberships m
                   where m.group_id = ? and m.org_id = ?${allMembers ? '' : ' and m.user_id in (select id from named)'})
     select coalesce(n.id, h.user_id) as user_id, h.user_id is not null as member, h.role, u.state
     from named n full join held h on h.user_id = n.id
     left join lateral (select x.org_id, x.state from users x where x.id = coalesce(n.id, h.user_id) offset 0) u on u.org_id = ?`,
    [pgArray(named), groupId, scope.orgId, scope.orgId],
  );
  const found = new Map<string, Found>();
  for (const row of rows) {
    found.set(String(row.user_id), { member: row.member === true, role: (row.role as string | null) ?? null, state: (row.state as string | null) ?? null });
  }
  return found;
}

async function deleteMembers(tx: Em, scope: Scope, groupId: string, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await executeBound(
    tx,
    'delete from memberships where org_id = ? and group_id = ? and user_id = any(?::uuid[]) returning user_id, role',
    [scope.orgId, groupId, pgArray(ids)],
  );
  return new Map(rows.map((r) => [String(r.user_id), String(r.role)]));
}

async function insertMembers(tx: Em, scope: Scope, groupId: string, ids: string[], source: UserSource): Promise<Set<string>> {
  if (!ids.length) return new Set();
  // A SCIM group has no roles: its members get the org's default one (it was viewer, outside the list of an org with its own roles).
  const role = defaultMembershipRole(await getOrgSettings(tx, scope));
  // ON CONFLICT DO NOTHING: concurrent adds of the same member by two IdP requests both succeed, none is lost.
  const rows = await executeBound(
    tx,
    `insert into memberships (id, org_id, group_id, user_id, role, source, added_at)
     select x.id, ?, ?, x.user_id, ?, ?, now() from unnest(?::uuid[], ?::uuid[]) as x(id, user_id)
     on conflict (group_id, user_id) do nothing returning user_id`,
    [scope.orgId, groupId, role, source, pgArray(ids.map(() => uuidv7())), pgArray(ids)],
  );
  return new Set(rows.map((r) => String(r.user_id)));
}

/**
 * Applies the change inside the caller's transaction (which holds the group's row lock).
 * Returns the members added (in the order the request named them) and removed, as the statements
 * reported them: a row a concurrent request already wrote is neither written nor reported twice.
 * `deletedAdded`: those of the added who are users deleted in Gatehouse.
 */
export async function applyMembers(
  tx: Em,
  scope: Scope,
  groupId: string,
  change: MembersChange,
  source: UserSource,
): Promise<{ added: string[]; deletedAdded: string[]; removed: RemovedMember[] }> {
  const wanted = [...new Set(change.set ?? change.add ?? [])];
  const leaving = change.set ? [] : [...new Set(change.remove ?? [])].filter(isUuid);
  if (!wanted.length && !leaving.length && !change.set) return { added: [], deletedAdded: [], removed: [] };
  const found = await readMembers(tx, scope, groupId, [...wanted, ...leaving].filter(isUuid), change.set !== undefined);
  const deleted = (id: string) => found.get(id)?.state === 'deleted';
  // RFC 7644 §3.5.2: a PATCH is atomic, so a value that is no user of the org fails the request
  // before anything is written: it is a mapping error the IdP's admin must see in its log.
  const refused = wanted.filter((id) => (found.get(id)?.state ?? null) === null);
  if (refused.length) throw refusedMembers(refused);
  // A user deleted here (soft, restorable) whom the IdP still has in the group is no error: the
  // IdP cannot know, and Entra re-sends the group's delta each cycle, so a refusal would fail
  // every membership change of the group until someone acts and push the job into quarantine.
  // Their membership is recorded, hidden like every membership of a deleted user, and a restore
  // brings it back: Gatehouse then holds what the IdP believes it does.
  const toAdd = wanted.filter((id) => !found.get(id)!.member);
  let toRemove: string[];
  if (change.set) {
    // The list is the IdP's whole group: a member it leaves out goes, a user deleted here too (the
    // IdP cannot know of the delete, so it no longer has them in the group), as a PATCH remove or
    // replace of them ends it, and a restore does not bring back a group the IdP took them out of.
    const named = new Set(wanted);
    toRemove = [...found].filter(([id, f]) => f.member && !named.has(id) && f.state !== null).map(([id]) => id);
  } else {
    toRemove = leaving.filter((id) => found.get(id)?.member);
  }
  const removedRows = await deleteMembers(tx, scope, groupId, toRemove);
  const inserted = await insertMembers(tx, scope, groupId, toAdd, source);
  const added = toAdd.filter((id) => inserted.has(id));
  return {
    added,
    deletedAdded: added.filter(deleted),
    removed: toRemove.filter((id) => removedRows.has(id)).map((id) => ({ id, role: removedRows.get(id)! })),
  };
}

/**
 * The members of a group who are users deleted in Gatehouse: their memberships are hidden (no
 * read shows them) until a restore, but the IdP still names them, and its remove must end them.
 */
export async function hiddenMemberIds(tx: Em, scope: Scope, groupId: string): Promise<string[]> {
  const rows = await tx.execute(
    `select m.user_id from memberships m join users u on u.id = m.user_id and u.org_id = m.org_id
     where m.group_id = ? and m.org_id = ? and u.state = 'deleted' order by m.added_at, m.user_id`,
    [groupId, scope.orgId],
  );
  return rows.map((r) => String(r.user_id));
}

/**
 * The audit details naming, among `membersAdded`, the users deleted in Gatehouse (their
 * memberships hidden until a restore): the audit trail shows whom the IdP still sends.
 */
export function deletedDetails(deletedAdded: string[]): Record<string, unknown> {
  return deletedAdded.length ? { deletedMembersAdded: deletedAdded } : {};
}

/**
 * The audit details of members a SCIM write removed: their ids (`membersRemoved`, one
 * membership.removed each in the feed) and the roles they had (`membersRemovedRoles`, which the
 * events trigger puts in each event's `resource.role`, as the admin API's removals carry it).
 */
export function removedDetails(removed: RemovedMember[]): Record<string, unknown> {
  if (!removed.length) return {};
  return { membersRemoved: removed.map((m) => m.id), membersRemovedRoles: Object.fromEntries(removed.map((m) => [m.id, m.role])) };
}
