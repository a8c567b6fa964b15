import type { Em } from '../db/orm.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import { jsonEqual } from '../lib/equal.ts';
import { recordAuditSql } from './audit.ts';
import { ValidationError, type FieldProblem } from './errors.ts';
import type { MappingRule } from './group-mapping-plan.ts';
import { loadRules, planMappedMemberships, type PersonPlan, type StoredRule } from './mapped-memberships.ts';
import { membershipRoles } from './membership-changes.ts';
import type { Scope } from './scope.ts';

/**
 * The org's IdP group mappings ("IdP group Nurses → entry point Ward 5, role
 * editor"): read, preview, replace. Replacing re-derives every mapped membership
 * the IdP groups SCIM pushed and the last SAML sign-ins' claims give, in the
 * same transaction; the preview runs the same plan without writing.
 */

export interface GroupMappingView {
  idpGroup: string;
  groupId: string;
  groupDisplayName: string;
  role: string;
}

const view = (rule: StoredRule): GroupMappingView => ({ idpGroup: rule.idpGroup, groupId: rule.groupId, groupDisplayName: rule.groupDisplayName, role: rule.role });

export async function getGroupMappings(em: Em, scope: Pick<Scope, 'orgId'>): Promise<GroupMappingView[]> {
  return (await loadRules(em, scope.orgId)).map(view);
}

/** Names every bad entry at once: role not in the org's list, unknown or SCIM target group, a repeated pair. */
async function validateMappings(em: Em, scope: Pick<Scope, 'orgId'>, input: readonly MappingRule[]): Promise<StoredRule[]> {
  const roles = await membershipRoles(em, scope);
  const ids = [...new Set(input.map((m) => m.groupId).filter(isUuid))];
  const groups = new Map<string, { displayName: string; source: string }>();
  if (ids.length) {
    const rows = await em.execute(`select id, display_name, source from groups where org_id = ? and id in (${ids.map(() => '?').join(', ')})`, [scope.orgId, ...ids]);
    for (const row of rows) groups.set(String(row.id), { displayName: String(row.display_name), source: String(row.source) });
  }
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const rules: StoredRule[] = [];
  input.forEach((m, i) => {
    const idpGroup = m.idpGroup.trim();
    if (!idpGroup) problems.push({ field: `mappings.${i}.idpGroup`, reason: 'must name the IdP group' });
    const group = groups.get(m.groupId);
    if (!group) problems.push({ field: `mappings.${i}.groupId`, reason: `no group with id ${JSON.stringify(m.groupId)} in this organization` });
    else if (group.source === 'scim') {
      problems.push({ field: `mappings.${i}.groupId`, reason: `"${group.displayName}" is managed by your identity provider; map to a group managed here` });
    }
    if (!roles.includes(m.role)) problems.push({ field: `mappings.${i}.role`, reason: `must be one of the organization's roles: ${roles.join(', ')}` });
    const key = `${idpGroup.toLowerCase()}\n${m.groupId}`;
    if (seen.has(key)) problems.push({ field: `mappings.${i}`, reason: 'repeats an IdP group and group pair listed before (IdP group names are compared case-insensitively)' });
    seen.add(key);
    if (group) rules.push({ idpGroup, groupId: m.groupId, role: m.role, groupDisplayName: group.displayName });
  });
  if (problems.length) throw new ValidationError(problems);
  return rules;
}

export interface MappingOutcome {
  /** People whose memberships change, with each change. */
  people: PersonPlan[];
  summary: { people: number; added: number; changed: number; removed: number };
}

function outcome(people: PersonPlan[]): MappingOutcome {
  const count = (action: string) => people.reduce((n, p) => n + p.changes.filter((c) => c.action === action).length, 0);
  return { people, summary: { people: people.length, added: count('add'), changed: count('change'), removed: count('remove') } };
}

/** Who would get what under the proposed mappings; nothing is written. */
export async function previewGroupMappings(tx: Em, scope: Scope, input: readonly MappingRule[]): Promise<MappingOutcome> {
  const rules = await validateMappings(tx, scope, input);
  return outcome(await planMappedMemberships(tx, scope, rules, null, { write: false }));
}

/**
 * Replaces the org's mappings and applies them. No difference → nothing written.
 * The org row is locked so two replacements do not interleave their re-derivations.
 */
export async function replaceGroupMappings(tx: Em, scope: Scope, input: readonly MappingRule[]): Promise<{ mappings: GroupMappingView[]; applied: MappingOutcome['summary'] }> {
  await tx.execute('select id from organizations where id = ? for no key update', [scope.orgId]);
  const rules = await validateMappings(tx, scope, input);
  const before = (await loadRules(tx, scope.orgId)).map(view);
  const sortKey = (m: GroupMappingView) => `${m.idpGroup.toLowerCase()}\n${m.groupId}`;
  const sorted = (list: GroupMappingView[]) => [...list].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  const after = rules.map(view);
  if (jsonEqual(sorted(before), sorted(after))) return { mappings: before, applied: { people: 0, added: 0, changed: 0, removed: 0 } };
  await tx.execute('delete from group_mappings where org_id = ?', [scope.orgId]);
  if (rules.length) {
    await tx.execute(
      `insert into group_mappings (id, org_id, idp_group, group_id, role, created_at) values ${rules.map(() => '(?, ?, ?, ?, ?, now())').join(', ')}`,
      rules.flatMap((r) => [uuidv7(), scope.orgId, r.idpGroup, r.groupId, r.role]),
    );
  }
  const applied = outcome(await planMappedMemberships(tx, scope, rules, null, { write: true })).summary;
  await recordAuditSql(tx, scope, {
    action: 'group_mappings.updated',
    target: { type: 'org', id: scope.orgId, label: scope.orgSlug },
    details: { changes: { mappings: { from: before, to: after } }, applied },
  });
  return { mappings: await getGroupMappings(tx, scope), applied };
}
