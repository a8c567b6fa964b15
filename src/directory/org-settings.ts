import type { Em } from '../db/orm.ts';
import { jsonbValue } from '../db/jsonb.ts';
import { recordAuditSql } from './audit.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from './errors.ts';
import { assertIfMatch, type IfMatch } from './if-match.ts';
import { zodProblems } from './input-problems.ts';
import { orgSettingFields, orgSettingsPatch } from './org-settings-schema.ts';
import type { Scope } from './scope.ts';
import { jsonEqual } from '../lib/equal.ts';

/**
 * Org settings: typed defaults over `organizations.settings` (jsonb), which
 * stores only what an admin changed. Reading is tolerant (a stored value that no
 * longer validates falls back to its default, so a rule tightened later cannot
 * break an org); writing is strict and names the field. The rules themselves
 * are the zod schemas of org-settings-schema.ts.
 */
export interface PasswordPolicy {
  minLength: number;
  /** How many of lower case, upper case, digits, symbols a password needs. */
  requireClasses: number;
}

export interface OrgSettings {
  /** Active users allowed at once; null = unlimited. Pending invitees hold no seat. */
  seatLimit: number | null;
  invitationTtlDays: number;
  /** Live sessions per user; the oldest ends first. */
  sessionCap: number;
  ssoEnforced: boolean;
  /** Password sign-in needs a second factor (TOTP, email or SMS code); SSO sign-ins are exempt (the IdP does MFA). */
  requireTwoFactor: boolean;
  passwordPolicy: PasswordPolicy;
  roles: string[];
  allowedRedirectUrls: string[];
  /** Email domains that "Sign in with SSO" resolves to this org (lower case, e.g. acme.com). */
  ssoDomains: string[];
  /** Share of enabled users a CSV import (disable, sync, a Status column) may disable before its commit needs `force`. */
  massDisableThreshold: number;
  /** This org's SCIM token bucket; null = the server default (config scim.rateLimit). */
  scimRateLimit: ScimRateLimit | null;
}

export interface ScimRateLimit {
  requestsPerSecond: number;
  burst: number;
}

export const defaultOrgSettings: Readonly<OrgSettings> = Object.freeze({
  seatLimit: null,
  invitationTtlDays: 7,
  sessionCap: 3,
  ssoEnforced: false,
  requireTwoFactor: false,
  passwordPolicy: Object.freeze({ minLength: 12, requireClasses: 3 }),
  roles: Object.freeze(['viewer', 'editor', 'admin']) as unknown as string[],
  allowedRedirectUrls: Object.freeze([]) as unknown as string[],
  ssoDomains: Object.freeze([]) as unknown as string[],
  massDisableThreshold: 0.2,
  scimRateLimit: null,
});

const keys = Object.keys(orgSettingFields) as Array<keyof OrgSettings>;

/** Stored overrides → the effective settings (defaults where absent or no longer valid). */
/** The effective settings from the stored column (raw jsonb value, object or text). */
export function resolveOrgSettings(column: unknown): OrgSettings {
  const stored = jsonbValue<Record<string, unknown> | null>(column, null);
  const out = structuredClone(defaultOrgSettings) as OrgSettings;
  for (const key of keys) {
    if (!stored || !(key in stored)) continue;
    const value = key === 'passwordPolicy' ? { ...defaultOrgSettings.passwordPolicy, ...(stored[key] as object) } : stored[key];
    if (orgSettingFields[key].safeParse(value).success) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** The stored `scimRateLimit` alone (a jsonb value, or its text), as resolveOrgSettings would resolve it. */
export function resolveScimRateLimit(raw: unknown): ScimRateLimit | null {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  const parsed = orgSettingFields.scimRateLimit.safeParse(value ?? null);
  return parsed.success ? parsed.data : null;
}

/**
 * Validates a partial change (unknown keys refused). `passwordPolicy` may be
 * given in part; the other part keeps its current value.
 */
export function validateSettingsChange(input: unknown, current: OrgSettings): Partial<OrgSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw ValidationError.field('body', 'must be a JSON object of settings');
  const parsed = orgSettingsPatch.safeParse(input);
  if (!parsed.success) throw new ValidationError(unique(zodProblems(parsed.error, 'body', 'is not a recognised setting')));
  const change: Record<string, unknown> = { ...parsed.data };
  if (parsed.data.passwordPolicy) change.passwordPolicy = { ...current.passwordPolicy, ...parsed.data.passwordPolicy };
  return change as Partial<OrgSettings>;
}

/** One problem per field and reason (a value can fail several checks with the same reason). */
function unique(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\n${p.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The stored overrides and the org row's version (the settings' ETag: nothing else of the row changes it). */
async function readStoredVersioned(em: Em, orgId: string, lock: boolean): Promise<{ stored: Record<string, unknown>; version: number }> {
  const rows = await em.execute(`select settings, version from organizations where id = ?${lock ? ' for update' : ''}`, [orgId]);
  if (!rows[0]) throw new NotFoundError('Organization', orgId);
  const raw = rows[0].settings;
  return { stored: (typeof raw === 'string' ? JSON.parse(raw) : raw ?? {}) as Record<string, unknown>, version: Number(rows[0].version) };
}

async function readStored(em: Em, orgId: string, lock: boolean): Promise<Record<string, unknown>> {
  return (await readStoredVersioned(em, orgId, lock)).stored;
}

/**
 * The role of a membership whose maker names none (an IdP's group push, an admin's add without a
 * role, a CSV row without one): the org's first role, as `roles` lists them least access first.
 */
export function defaultMembershipRole(settings: Pick<OrgSettings, 'roles'>): string {
  return settings.roles[0]!;
}

export async function getOrgSettings(em: Em, scope: Pick<Scope, 'orgId'>, options: { lock?: boolean } = {}): Promise<OrgSettings> {
  return resolveOrgSettings(await readStored(em, scope.orgId, options.lock ?? false));
}

/** The settings with their version, which the admin API answers as the ETag that If-Match on PATCH takes back. */
export async function getVersionedOrgSettings(em: Em, scope: Pick<Scope, 'orgId'>): Promise<{ settings: OrgSettings; version: number }> {
  const { stored, version } = await readStoredVersioned(em, scope.orgId, false);
  return { settings: resolveOrgSettings(stored), version };
}

/**
 * Settings only the server's operator changes (CLI), never an org admin:
 * `ssoDomains` sends everyone who types an address at that domain to this org's
 * IdP, so a claim must be checked out of band (the org owns the domain) first.
 */
export const operatorSettings = ['ssoDomains'] as const satisfies ReadonlyArray<keyof OrgSettings>;

/**
 * Applies a validated change under a lock on the org row (two admins' changes
 * to different settings both land). No difference → nothing written, no event.
 * `ifMatch` (If-Match): only while the settings are at one of those versions, else
 * StaleVersionError, whether or not the change would write anything.
 */
export async function updateOrgSettings(
  em: Em,
  scope: Scope,
  input: unknown,
  options: { operator?: boolean; ifMatch?: IfMatch } = {},
): Promise<{ settings: OrgSettings; changed: Array<keyof OrgSettings>; version: number }> {
  if (!options.operator && input && typeof input === 'object') {
    const refused = operatorSettings.filter((key) => key in input);
    if (refused.length) {
      throw new ValidationError(refused.map((field) => ({ field, reason: 'is set by the server operator once the org has shown it owns the domains (gatehouse org sso-domains)' })));
    }
  }
  return em.transactional(async (tx) => {
    const { stored, version } = await readStoredVersioned(tx, scope.orgId, true);
    assertIfMatch(options.ifMatch, version, 'Settings of organization', scope.orgSlug);
    const current = resolveOrgSettings(stored);
    const change = validateSettingsChange(input, current);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [key, value] of Object.entries(change) as Array<[keyof OrgSettings, unknown]>) {
      if (!jsonEqual(current[key], value)) changes[key] = { from: current[key], to: value };
    }
    const changed = Object.keys(changes) as Array<keyof OrgSettings>;
    if (!changed.length) return { settings: current, changed, version };
    if (changes.roles) await assertRolesUnused(tx, scope, current.roles.filter((role) => !(change.roles ?? []).includes(role)));
    if (changes.ssoEnforced?.to === true) await assertSsoConfigured(tx, scope);
    const next = { ...stored };
    for (const key of changed) next[key] = changes[key]!.to;
    const [row] = await tx.execute(`update organizations set settings = ?::jsonb, version = version + 1, updated_at = now() where id = ? returning version`, [JSON.stringify(next), scope.orgId]);
    await recordAuditSql(tx, scope, { action: 'org.settings_updated', target: { type: 'org', id: scope.orgId, label: scope.orgSlug }, details: { changes } });
    return { settings: resolveOrgSettings(next), changed, version: Number(row!.version) };
  });
}

/**
 * Enforcing single sign-on turns every password off: with no SAML connection nobody, the admin who
 * switched it on included, could sign in again. The org's row is locked (updateOrgSettings), as
 * deleteSamlConnection locks it before refusing to remove the last connection of an enforcing org.
 */
async function assertSsoConfigured(tx: Em, scope: Pick<Scope, 'orgId'>): Promise<void> {
  const rows = await tx.execute('select count(*)::int as n from saml_connections where org_id = ?', [scope.orgId]);
  if (Number(rows[0]?.n ?? 0) === 0) {
    throw new ConflictError('ssoEnforced', 'ssoEnforced: this organization has no single sign-on connection yet, so nobody could sign in. Set up single sign-on (SSO & provisioning) first, then enforce it');
  }
}

/** Issue 7: a role that memberships (or pending invitations' planned memberships) hold cannot be removed. */
export class RoleInUseError extends ConflictError {
  constructor(inUse: Array<{ role: string; memberships: number; invitations: number }>) {
    const list = inUse.map((u) => `"${u.role}" (${u.memberships} membership${u.memberships === 1 ? '' : 's'}${u.invitations ? `, ${u.invitations} pending invitation${u.invitations === 1 ? '' : 's'}` : ''})`);
    super('roles', `roles: cannot remove ${list.join(', ')}: the role is in use; move those memberships to another role first`);
    Object.assign(this.details, { roles: inUse });
  }
}

async function assertRolesUnused(tx: Em, scope: Pick<Scope, 'orgId'>, removed: string[]): Promise<void> {
  if (!removed.length) return;
  const list = removed.map(() => '?').join(', ');
  const rows = await tx.execute(
    `select r.role,
       (select count(*)::int from memberships m where m.org_id = ? and m.role = r.role) as memberships,
       (select count(*)::int from invitation_memberships im join invitations i on i.id = im.invitation_id
          where i.org_id = ? and im.role = r.role and i.accepted_at is null and i.revoked_at is null) as invitations
     from (select unnest(array[${list}]::text[]) as role) r`,
    [scope.orgId, scope.orgId, ...removed],
  );
  const inUse = rows
    .map((r) => ({ role: String(r.role), memberships: Number(r.memberships), invitations: Number(r.invitations) }))
    .filter((u) => u.memberships > 0 || u.invitations > 0);
  if (inUse.length) throw new RoleInUseError(inUse);
}

/**
 * "Sign in with SSO" by work email: the slugs of the orgs that list this
 * domain in `ssoDomains` and have a default SAML connection (at most two: the
 * caller only needs to know whether the answer is unique).
 */
export async function orgsClaimingSsoDomain(em: Em, domain: string): Promise<string[]> {
  const rows = await em.execute(
    `select o.slug from organizations o
      where o.settings @> ?::jsonb
        and exists (select 1 from saml_connections c where c.org_id = o.id and c.name = 'default')
      order by o.slug limit 2`,
    [JSON.stringify({ ssoDomains: [domain.toLowerCase()] })],
  );
  return rows.map((r) => String(r.slug));
}
