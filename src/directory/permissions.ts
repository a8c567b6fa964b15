/**
 * What a person or a token may do in an org's admin API. An `org_admin` holds
 * every permission; a `member` holds the ones an org admin granted; an admin
 * token holds the set it was created with (all, unless narrowed).
 */
export const permissions = [
  'users.edit',
  'users.invite',
  'users.disable',
  'users.delete',
  'users.export',
  'groups.manage',
  'audit.read',
  'settings.manage',
] as const;
export type Permission = (typeof permissions)[number];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (permissions as readonly string[]).includes(value);
}

/** Who calls the admin API and what they hold. */
export interface Access {
  kind: 'token' | 'session';
  /** An org admin, or a token that holds every permission: may change who may do what. */
  orgAdmin: boolean;
  permissions: ReadonlySet<Permission>;
}

/**
 * What a route needs: a permission, `org_admin` (changing roles and grants), or
 * null (any authenticated principal of the org may read it).
 */
export type Requirement = Permission | 'org_admin' | null;

export function allows(access: Access, requirement: Requirement): boolean {
  if (requirement === null) return true;
  if (requirement === 'org_admin') return access.orgAdmin;
  return access.orgAdmin || access.permissions.has(requirement);
}

/** The set a token or person holds, from the stored list (unknown names are ignored). */
export function accessOf(kind: Access['kind'], stored: readonly string[], orgAdmin: boolean): Access {
  const held = new Set(stored.filter(isPermission));
  const all = permissions.every((p) => held.has(p));
  return { kind, orgAdmin: orgAdmin || (kind === 'token' && all), permissions: orgAdmin ? new Set(permissions) : held };
}
