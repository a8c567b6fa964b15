import type { Em } from '../db/orm.ts';
import type { UserSource } from '../db/entities/index.ts';
import { lockUsers, membershipRoles, writeMembershipChanges, type MembershipChange } from './membership-changes.ts';
import { applyPlan, planUserMappings, type HeldMembership, type MappingRule, type PlannedChange } from './group-mapping-plan.ts';
import type { Scope } from './scope.ts';

/**
 * IdP group mappings applied: the memberships a person's IdP groups give them.
 * A person's IdP groups are the SCIM groups SCIM made them a member of, and the
 * group claims of their last SAML sign-in (a claim may also be the externalId
 * of a SCIM group: Entra sends group object ids). SCIM's plan runs first and
 * wins (IDP-NOTES §2), then the sign-in's. The SCIM group writes, the SAML
 * sign-in and a mapping change all call syncMappedMemberships.
 */

const CHUNK = 500;

export interface StoredRule extends MappingRule {
  groupDisplayName: string;
}

export async function loadRules(em: Em, orgId: string): Promise<StoredRule[]> {
  const rows = await em.execute(
    `select r.idp_group, r.group_id, r.role, g.display_name from group_mappings r join groups g on g.id = r.group_id
     where r.org_id = ? order by lower(r.idp_group), lower(g.display_name)`,
    [orgId],
  );
  return rows.map((r) => ({ idpGroup: String(r.idp_group), groupId: String(r.group_id), role: String(r.role), groupDisplayName: String(r.display_name) }));
}

/** `and <column> in (…)` for a set of users, or nothing for the whole org. */
function usersIn(column: string, userIds: string[] | null): { sql: string; params: string[] } {
  if (userIds === null) return { sql: '', params: [] };
  return { sql: ` and ${column} in (${userIds.map(() => '?').join(', ')})`, params: userIds };
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

interface Inputs {
  scimGroups: Map<string, string[]>;
  claims: Map<string, string[]>;
  held: Map<string, Array<HeldMembership & { groupName: string }>>;
  users: Map<string, { userName: string; email: string | null }>;
}

/** Everything the plan needs, for some users (chunked) or for every live user of the org. */
async function loadInputs(em: Em, orgId: string, userIds: string[] | null): Promise<Inputs> {
  const inputs: Inputs = { scimGroups: new Map(), claims: new Map(), held: new Map(), users: new Map() };
  const chunks = userIds === null ? [null] : Array.from({ length: Math.ceil(userIds.length / CHUNK) }, (_, i) => userIds.slice(i * CHUNK, (i + 1) * CHUNK));
  for (const chunk of chunks) {
    const scim = usersIn('m.user_id', chunk);
    const direct = await em.execute(
      `select m.user_id, g.display_name from memberships m join groups g on g.id = m.group_id join users u on u.id = m.user_id
       where m.org_id = ? and m.source = 'scim' and not m.via_mapping and u.state <> 'deleted'${scim.sql}`,
      [orgId, ...scim.params],
    );
    for (const row of direct) push(inputs.scimGroups, String(row.user_id), String(row.display_name));
    const claimed = usersIn('c.user_id', chunk);
    const claims = await em.execute(
      `select c.user_id, c.groups from group_claims c join users u on u.id = c.user_id where c.org_id = ? and u.state <> 'deleted'${claimed.sql}`,
      [orgId, ...claimed.params],
    );
    for (const row of claims) {
      const groups = (typeof row.groups === 'string' ? JSON.parse(row.groups) : row.groups) as string[];
      inputs.claims.set(String(row.user_id), groups);
    }
    // Memberships in groups the org manages: the only ones a mapping may give (a SCIM group's members are the IdP's list).
    const held = usersIn('m.user_id', chunk);
    const rows = await em.execute(
      `select m.user_id, m.group_id, g.display_name, m.role, m.source, m.via_mapping from memberships m join groups g on g.id = m.group_id
       join users u on u.id = m.user_id where m.org_id = ? and g.source <> 'scim' and u.state <> 'deleted'${held.sql}`,
      [orgId, ...held.params],
    );
    for (const row of rows) {
      push(inputs.held, String(row.user_id), {
        groupId: String(row.group_id), groupName: String(row.display_name), role: String(row.role), source: row.source as UserSource, viaMapping: row.via_mapping === true,
      });
    }
  }
  await resolveClaimIds(em, orgId, inputs.claims);
  return inputs;
}

/** Claims that are a SCIM group's externalId also count under that group's display name. */
async function resolveClaimIds(em: Em, orgId: string, claims: Map<string, string[]>): Promise<void> {
  const values = [...new Set([...claims.values()].flat())];
  const names = new Map<string, string>();
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    const rows = await em.execute(
      `select external_id, display_name from groups where org_id = ? and source = 'scim' and external_id in (${chunk.map(() => '?').join(', ')})`,
      [orgId, ...chunk],
    );
    for (const row of rows) names.set(String(row.external_id), String(row.display_name));
  }
  if (!names.size) return;
  for (const [userId, groups] of claims) claims.set(userId, [...groups, ...groups.flatMap((g) => (names.has(g) ? [names.get(g)!] : []))]);
}

/** One person's net changes: SCIM's plan, then the sign-in's on the result, compared with what they hold now. */
export function planPerson(rules: readonly MappingRule[], roles: readonly string[], scimGroups: string[], claims: string[], held: readonly HeldMembership[]): PlannedChange[] {
  const afterScim = applyPlan(held, planUserMappings(rules, roles, scimGroups, held, 'scim'));
  const after = applyPlan(afterScim, planUserMappings(rules, roles, claims, afterScim, 'saml-jit'));
  const before = new Map(held.map((m) => [m.groupId, m]));
  const changes: PlannedChange[] = [];
  for (const next of after) {
    const prev = before.get(next.groupId);
    const source = next.source as PlannedChange['source'];
    if (!prev) changes.push({ action: 'add', groupId: next.groupId, role: next.role, source });
    else if (prev.role !== next.role || prev.source !== next.source || prev.viaMapping !== next.viaMapping) {
      changes.push({ action: 'change', groupId: next.groupId, role: next.role, source, from: { role: prev.role, source: prev.source, viaMapping: prev.viaMapping } });
    }
    before.delete(next.groupId);
  }
  for (const prev of before.values()) changes.push({ action: 'remove', groupId: prev.groupId, role: prev.role, source: prev.source as PlannedChange['source'] });
  return changes;
}

export interface PersonPlan {
  userId: string;
  userName: string;
  email: string | null;
  changes: Array<PlannedChange & { groupDisplayName: string }>;
}

/**
 * Plans (and with `write`, applies) the mapped memberships of some users or
 * of the whole org under the given rules. Returns only people with a change.
 */
export async function planMappedMemberships(
  tx: Em,
  scope: Scope,
  rules: readonly StoredRule[],
  userIds: string[] | null,
  options: { write: boolean },
): Promise<PersonPlan[]> {
  if (options.write && userIds !== null) await lockUsers(tx, scope, userIds);
  const inputs = await loadInputs(tx, scope.orgId, userIds);
  const roles = await membershipRoles(tx, scope);
  const people = userIds ?? [...new Set([...inputs.scimGroups.keys(), ...inputs.claims.keys(), ...[...inputs.held].filter(([, h]) => h.some((m) => m.viaMapping)).map(([id]) => id)])];
  const names = new Map(rules.map((r) => [r.groupId, r.groupDisplayName]));
  for (const list of inputs.held.values()) for (const m of list) names.set(m.groupId, m.groupName);
  const plans: PersonPlan[] = [];
  for (const userId of people) {
    const changes = planPerson(rules, roles, inputs.scimGroups.get(userId) ?? [], inputs.claims.get(userId) ?? [], inputs.held.get(userId) ?? []);
    if (changes.length) plans.push({ userId, userName: '', email: null, changes: changes.map((c) => ({ ...c, groupDisplayName: names.get(c.groupId) ?? c.groupId })) });
  }
  await labelPeople(tx, scope.orgId, plans, options.write);
  if (options.write) {
    const writes: MembershipChange[] = plans.flatMap((plan) =>
      plan.changes.map((c) => ({
        action: c.action, user: { id: plan.userId, label: plan.userName }, group: { id: c.groupId, label: c.groupDisplayName },
        role: c.role, source: c.source, viaMapping: true, ...(c.from ? { from: c.from } : {}),
      })),
    );
    await writeMembershipChanges(tx, scope, writes, { via: 'group_mapping' });
  }
  return plans;
}

/** userName and email of the people with changes (locked first when the plan will be written for the whole org). */
async function labelPeople(tx: Em, orgId: string, plans: PersonPlan[], lock: boolean): Promise<void> {
  const byId = new Map(plans.map((p) => [p.userId, p]));
  const ids = [...byId.keys()].sort();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = await tx.execute(
      `select id, user_name, email from users where org_id = ? and id in (${chunk.map(() => '?').join(', ')}) order by id${lock ? ' for no key update' : ''}`,
      [orgId, ...chunk],
    );
    for (const row of rows) {
      const plan = byId.get(String(row.id))!;
      plan.userName = String(row.user_name);
      plan.email = (row.email as string | null) ?? null;
    }
  }
}

/**
 * The hook for SCIM group writes and SAML sign-ins: re-derives the mapped
 * memberships of these users. Costs one indexed read when the org has no mappings.
 */
export async function syncMappedMemberships(tx: Em, scope: Scope, userIds: string[]): Promise<void> {
  const ids = [...new Set(userIds)];
  if (!ids.length) return;
  const rules = await loadRules(tx, scope.orgId);
  if (!rules.length) return;
  await planMappedMemberships(tx, scope, rules, ids, { write: true });
}

/** SAML sign-in: keeps the person's group claims and applies the mappings to them. */
export async function applyGroupClaims(tx: Em, scope: Scope, userId: string, claims: readonly string[]): Promise<void> {
  // The claim list is the IdP's; cap what one assertion can make us store.
  const groups = [...new Set(claims.map((c) => c.slice(0, 300)))].slice(0, 1000);
  await tx.execute(
    `insert into group_claims (user_id, org_id, groups, updated_at) values (?, ?, ?::jsonb, now())
     on conflict (user_id) do update set groups = excluded.groups, updated_at = now()`,
    [userId, scope.orgId, JSON.stringify(groups)],
  );
  await syncMappedMemberships(tx, scope, [userId]);
}

/**
 * The members of an IdP group whose mapped memberships a rename or delete of
 * that group changes; none (and no read of the members) when the org has no mappings.
 */
export async function mappedMembersOf(tx: Em, scope: Pick<Scope, 'orgId'>, groupId: string): Promise<string[]> {
  const any = await tx.execute('select 1 from group_mappings where org_id = ? limit 1', [scope.orgId]);
  if (!any.length) return [];
  const rows = await tx.execute(`select user_id from memberships where org_id = ? and group_id = ? and source = 'scim' and not via_mapping`, [scope.orgId, groupId]);
  return rows.map((r) => String(r.user_id));
}
