import type { Em } from '../db/orm.ts';
import { recordAuditSql } from './audit.ts';
import { NotFoundError, ValidationError, type FieldProblem } from './errors.ts';
import type { Scope } from './scope.ts';
import { jsonEqual } from '../lib/equal.ts';

/**
 * Org settings: typed defaults over `organizations.settings` (jsonb), which
 * stores only what an admin changed. Reading is tolerant (a stored value that no
 * longer validates falls back to its default, so a rule tightened later cannot
 * break an org); writing is strict and names the field.
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
  /** Share of enabled users a single bulk disable may touch before it needs confirming. */
  massDisableThreshold: number;
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
  massDisableThreshold: 0.2,
});

type Check = (value: unknown, field: string, problems: FieldProblem[]) => void;

function integer(min: number, max: number): Check {
  return (value, field, problems) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push({ field, reason: `must be a whole number from ${min} to ${max}` });
    }
  };
}

const boolean: Check = (value, field, problems) => {
  if (typeof value !== 'boolean') problems.push({ field, reason: 'must be true or false' });
};

const ROLE = /^[a-z][a-z0-9_-]{0,49}$/;

function isRedirectUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // Plain http only for local development; anything else must be https.
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return (url.protocol === 'https:' || (url.protocol === 'http:' && local)) && !url.username && !url.password && !url.hash;
}

const checks: { [K in keyof OrgSettings]: Check } = {
  seatLimit: (value, field, problems) => {
    if (value !== null) integer(0, 10_000_000)(value, field, problems);
  },
  invitationTtlDays: integer(1, 90),
  sessionCap: integer(1, 100),
  ssoEnforced: boolean,
  requireTwoFactor: boolean,
  passwordPolicy: (value, field, problems) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ field, reason: 'must be an object with minLength and requireClasses' });
      return;
    }
    for (const key of Object.keys(value)) {
      if (key !== 'minLength' && key !== 'requireClasses') problems.push({ field: `${field}.${key}`, reason: 'is not a recognised field' });
    }
    const policy = value as Record<string, unknown>;
    if ('minLength' in policy) integer(8, 128)(policy.minLength, `${field}.minLength`, problems);
    if ('requireClasses' in policy) integer(0, 4)(policy.requireClasses, `${field}.requireClasses`, problems);
  },
  roles: (value, field, problems) => {
    if (!Array.isArray(value) || value.length === 0 || value.length > 50) {
      problems.push({ field, reason: 'must be a list of 1 to 50 role names' });
      return;
    }
    value.forEach((role, i) => {
      if (typeof role !== 'string' || !ROLE.test(role)) problems.push({ field: `${field}.${i}`, reason: 'must be a lower-case name (letters, digits, _ or -, at most 50)' });
    });
    if (new Set(value).size !== value.length) problems.push({ field, reason: 'must not repeat a role' });
  },
  allowedRedirectUrls: (value, field, problems) => {
    if (!Array.isArray(value) || value.length > 50) {
      problems.push({ field, reason: 'must be a list of at most 50 URLs' });
      return;
    }
    value.forEach((url, i) => {
      if (typeof url !== 'string' || url.length > 2000 || !isRedirectUrl(url)) {
        problems.push({ field: `${field}.${i}`, reason: 'must be an absolute https URL without credentials or fragment (http only for localhost)' });
      }
    });
  },
  massDisableThreshold: (value, field, problems) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
      problems.push({ field, reason: 'must be a number greater than 0 and at most 1' });
    }
  },
};

const keys = Object.keys(checks) as Array<keyof OrgSettings>;

/** Stored overrides → the effective settings (defaults where absent or no longer valid). */
export function resolveOrgSettings(stored: Record<string, unknown> | null | undefined): OrgSettings {
  const out = structuredClone(defaultOrgSettings) as OrgSettings;
  for (const key of keys) {
    if (!stored || !(key in stored)) continue;
    const value = key === 'passwordPolicy' ? { ...defaultOrgSettings.passwordPolicy, ...(stored[key] as object) } : stored[key];
    const problems: FieldProblem[] = [];
    checks[key](value, key, problems);
    if (!problems.length) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * Validates a partial change (unknown keys refused). `passwordPolicy` may be
 * given in part; the other part keeps its current value.
 */
export function validateSettingsChange(input: unknown, current: OrgSettings): Partial<OrgSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw ValidationError.field('body', 'must be a JSON object of settings');
  const problems: FieldProblem[] = [];
  const change: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    if (!(key in checks)) {
      problems.push({ field: key, reason: 'is not a recognised setting' });
      continue;
    }
    const before = problems.length;
    checks[key as keyof OrgSettings](raw, key, problems);
    if (problems.length !== before) continue;
    change[key] = key === 'passwordPolicy' ? { ...current.passwordPolicy, ...(raw as object) } : raw;
  }
  if (problems.length) throw new ValidationError(problems);
  return change as Partial<OrgSettings>;
}

async function readStored(em: Em, orgId: string, lock: boolean): Promise<Record<string, unknown>> {
  const rows = await em.execute(`select settings from organizations where id = ?${lock ? ' for update' : ''}`, [orgId]);
  if (!rows[0]) throw new NotFoundError('Organization', orgId);
  const raw = rows[0].settings;
  return (typeof raw === 'string' ? JSON.parse(raw) : raw ?? {}) as Record<string, unknown>;
}

export async function getOrgSettings(em: Em, scope: Pick<Scope, 'orgId'>, options: { lock?: boolean } = {}): Promise<OrgSettings> {
  return resolveOrgSettings(await readStored(em, scope.orgId, options.lock ?? false));
}

/**
 * Applies a validated change under a lock on the org row (two admins' changes
 * to different settings both land). No difference → nothing written, no event.
 */
export async function updateOrgSettings(em: Em, scope: Scope, input: unknown): Promise<{ settings: OrgSettings; changed: Array<keyof OrgSettings> }> {
  return em.transactional(async (tx) => {
    const stored = await readStored(tx, scope.orgId, true);
    const current = resolveOrgSettings(stored);
    const change = validateSettingsChange(input, current);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [key, value] of Object.entries(change) as Array<[keyof OrgSettings, unknown]>) {
      if (!jsonEqual(current[key], value)) changes[key] = { from: current[key], to: value };
    }
    const changed = Object.keys(changes) as Array<keyof OrgSettings>;
    if (!changed.length) return { settings: current, changed };
    const next = { ...stored };
    for (const key of changed) next[key] = changes[key]!.to;
    await tx.execute(`update organizations set settings = ?::jsonb, version = version + 1, updated_at = now() where id = ?`, [JSON.stringify(next), scope.orgId]);
    await recordAuditSql(tx, scope, { action: 'org.settings_updated', target: { type: 'org', id: scope.orgId, label: scope.orgSlug }, details: { changes } });
    return { settings: resolveOrgSettings(next), changed };
  });
}
