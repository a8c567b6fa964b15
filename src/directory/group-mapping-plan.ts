import type { UserSource } from '../db/entities/index.ts';

/**
 * Pure: what IdP group mappings make of one person's memberships. Given the
 * mappings, the IdP groups the person is in and the memberships they hold in
 * groups the org manages, it lists the adds, changes and removals for one
 * source (SCIM or a SAML sign-in). No I/O, so the preview and the real write
 * are the same computation.
 */

export interface MappingRule {
  idpGroup: string;
  groupId: string;
  role: string;
}

export interface HeldMembership {
  groupId: string;
  role: string;
  source: UserSource;
  viaMapping: boolean;
}

export type MappingSource = 'scim' | 'saml-jit';

export interface PlannedChange {
  action: 'add' | 'change' | 'remove';
  groupId: string;
  /** The new role (add, change) or the role removed. */
  role: string;
  source: MappingSource;
  from?: { role: string; source: UserSource; viaMapping: boolean };
}

/**
 * Who wins a membership both claim. SCIM is authoritative (IDP-NOTES §2: a
 * stale SAML group claim must not undo a SCIM change), a sign-in's claims come
 * next, and a mapping takes over a membership an admin, a CSV or an invitation
 * made (the IdP now decides the role; leaving the IdP group removes it).
 */
const precedence: Record<UserSource, number> = { scim: 2, 'saml-jit': 1, admin: 0, csv: 0, invitation: 0 };

/**
 * Entry point → role the IdP groups give. When several mappings give the same
 * entry point, the role listed last in the org's roles list wins (the list runs
 * from least to most access, like the default viewer, editor, admin).
 */
export function mappedRoles(rules: readonly MappingRule[], idpGroups: Iterable<string>, roles: readonly string[]): Map<string, string> {
  const names = new Set([...idpGroups].map((g) => g.toLowerCase()));
  const wanted = new Map<string, string>();
  for (const rule of rules) {
    if (!names.has(rule.idpGroup.toLowerCase())) continue;
    const current = wanted.get(rule.groupId);
    if (current === undefined || roles.indexOf(rule.role) > roles.indexOf(current)) wanted.set(rule.groupId, rule.role);
  }
  return wanted;
}

export function planUserMappings(
  rules: readonly MappingRule[],
  roles: readonly string[],
  idpGroups: Iterable<string>,
  held: readonly HeldMembership[],
  source: MappingSource,
): PlannedChange[] {
  const wanted = mappedRoles(rules, idpGroups, roles);
  const byGroup = new Map(held.map((m) => [m.groupId, m]));
  const changes: PlannedChange[] = [];
  for (const [groupId, role] of wanted) {
    const current = byGroup.get(groupId);
    if (!current) {
      changes.push({ action: 'add', groupId, role, source });
      continue;
    }
    const from = { role: current.role, source: current.source, viaMapping: current.viaMapping };
    const mine = current.viaMapping && current.source === source;
    if (mine && current.role !== role) changes.push({ action: 'change', groupId, role, source, from });
    else if (!mine && precedence[current.source] < precedence[source]) changes.push({ action: 'change', groupId, role, source, from });
  }
  for (const current of held) {
    if (current.viaMapping && current.source === source && !wanted.has(current.groupId)) {
      changes.push({ action: 'remove', groupId: current.groupId, role: current.role, source });
    }
  }
  return changes;
}

/** The memberships after a plan: how the preview chains SCIM's plan into the sign-in's. */
export function applyPlan(held: readonly HeldMembership[], changes: readonly PlannedChange[]): HeldMembership[] {
  const byGroup = new Map(held.map((m) => [m.groupId, m]));
  for (const change of changes) {
    if (change.action === 'remove') byGroup.delete(change.groupId);
    else byGroup.set(change.groupId, { groupId: change.groupId, role: change.role, source: change.source, viaMapping: true });
  }
  return [...byGroup.values()];
}
