import type { Em } from '../db/orm.ts';
import { executeBound, type SqlRunner } from '../db/bound-query.ts';
import { ApiToken, Organization, tokenScopes, type TokenScope } from '../db/entities/index.ts';
import { bearerProblem, digestsEqual, generateToken, parseBasicPassword, parseBearer, sha256Hex, tokenHint } from '../lib/tokens.ts';
import type { Clock } from '../lib/clock.ts';
import { isUuid } from '../lib/ids.ts';
import { recordAudit } from './audit.ts';
import { AuthenticationError, NotFoundError, ValidationError } from './errors.ts';
import type { RequestOrigin, Scope } from './scope.ts';
import { isPermission, permissions, type Permission } from './permissions.ts';
import { resolveScimRateLimit, type ScimRateLimit } from './org-settings.ts';

export interface TokenView {
  id: string;
  name: string;
  scope: TokenScope;
  hint: string;
  createdAt: Date;
  createdBy: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** What an admin token may do (empty for SCIM tokens, which only reach /scim/v2). */
  permissions: Permission[];
}

export interface AuthenticatedToken {
  tokenId: string;
  tokenName: string;
  scope: TokenScope;
  orgId: string;
  orgSlug: string;
  permissions: string[];
  /** The org's SCIM rate limit setting (null = server default), read with the token so throttling costs no query. */
  scimRateLimit: ScimRateLimit | null;
}

/** Writing lastUsedAt on every request would turn each read into a write; once a minute is enough to audit use. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function toTokenView(token: ApiToken): TokenView {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    hint: token.hint,
    createdAt: token.createdAt,
    createdBy: token.createdBy,
    lastUsedAt: token.lastUsedAt ?? null,
    revokedAt: token.revokedAt ?? null,
    permissions: permissions.filter((p) => token.permissions.includes(p)),
  };
}

/** An admin token holds every permission unless narrowed; a SCIM token holds none (it never reaches the admin API). */
function tokenPermissions(scope: TokenScope, wanted: readonly string[] | undefined): Permission[] {
  if (scope === 'scim') {
    if (wanted?.length) throw ValidationError.field('permissions', 'only admin tokens hold permissions');
    return [];
  }
  if (wanted === undefined) return [...permissions];
  const unknown = wanted.find((p) => !isPermission(p));
  if (unknown !== undefined) throw ValidationError.field('permissions', `"${unknown.slice(0, 100)}" is not a permission (known: ${permissions.join(', ')})`);
  return permissions.filter((p) => wanted.includes(p));
}

export async function createApiToken(
  em: Em,
  scope: Scope,
  input: { scope: string; name?: string | undefined; permissions?: readonly string[] | undefined },
): Promise<{ token: string; record: ApiToken }> {
  if (!tokenScopes.includes(input.scope as TokenScope)) {
    throw ValidationError.field('scope', `must be one of ${tokenScopes.join(', ')}`);
  }
  const tokenScope = input.scope as TokenScope;
  const name = (input.name ?? '').trim() || `${tokenScope} token`;
  if (name.length > 200) throw ValidationError.field('name', 'must be at most 200 characters');
  const held = tokenPermissions(tokenScope, input.permissions);
  const secret = generateToken(tokenScope);
  const record = await em.transactional(async (tx) => {
    const token = tx.create(ApiToken, {
      org: tx.getReference(Organization, scope.orgId),
      name,
      scope: tokenScope,
      tokenHash: sha256Hex(secret),
      hint: tokenHint(secret),
      permissions: held,
      createdBy: scope.actor.label,
    });
    recordAudit(tx, scope, {
      action: 'token.created',
      target: { type: 'token', id: token.id, label: name },
      details: { scope: tokenScope, ...(tokenScope === 'admin' ? { permissions: held } : {}) },
    });
    return token;
  });
  return { token: secret, record };
}

export async function listApiTokens(em: Em, scope: Pick<Scope, 'orgId'>): Promise<ApiToken[]> {
  return em.find(ApiToken, { org: scope.orgId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

export async function revokeApiToken(em: Em, scope: Scope, tokenId: string, now: Date): Promise<ApiToken> {
  return em.transactional(async (tx) => {
    // Scoped by org: a token id of another org is simply not found (nor is one that is no id at all).
    const token = isUuid(tokenId) ? await tx.findOne(ApiToken, { id: tokenId, org: scope.orgId }) : null;
    if (!token) throw new NotFoundError('Token', tokenId);
    if (token.revokedAt) return token;
    token.revokedAt = now;
    recordAudit(tx, scope, {
      action: 'token.revoked',
      target: { type: 'token', id: token.id, label: token.name },
      details: { scope: token.scope },
    });
    return token;
  });
}

/**
 * Resolves a presented bearer secret. The lookup is by SHA-256 (an index hit
 * reveals nothing about the secret); the stored digest is then compared in
 * constant time. Every failure is the same AuthenticationError, except a valid
 * secret of the other scope: its holder learns only what the token is, and an IdP
 * admin who pasted the admin token as Entra's Secret Token reads how to get the right one.
 */
export async function authenticateToken(
  db: SqlRunner,
  presented: string,
  expected: TokenScope,
  clock: Clock,
  cache?: TokenCache,
): Promise<AuthenticatedToken> {
  // A function, not a value: building an Error captures a stack, which the success path should not pay for.
  const invalid = () => new AuthenticationError('The bearer token is missing, invalid or revoked');
  if (!presented || presented.length > 200) throw invalid();
  const digest = sha256Hex(presented);
  const cached = cache?.get(digest, clock.now());
  if (cached) {
    if (cached.scope !== expected) throw wrongScope(cached.scope, expected, cached.orgSlug);
    return cached;
  }
  // Hand-written: this runs on every SCIM and admin request, so no entity hydration.
  const rows = await executeBound(
    db,
    `select t.id, t.name, t.scope, t.token_hash, t.permissions, t.revoked_at, t.last_used_at, o.id as org_id, o.slug as org_slug,
       o.settings -> 'scimRateLimit' as scim_rate_limit
     from api_tokens t join organizations o on o.id = t.org_id where t.token_hash = ?`,
    [digest],
  );
  const row = rows[0];
  if (!row || !digestsEqual(String(row.token_hash), digest) || row.revoked_at) throw invalid();
  if (row.scope !== expected) throw wrongScope(String(row.scope), expected, String(row.org_slug));
  const now = clock.now();
  const lastUsed = row.last_used_at ? new Date(row.last_used_at as string | Date).getTime() : 0;
  if (now.getTime() - lastUsed > LAST_USED_RESOLUTION_MS) {
    await executeBound(db, 'update api_tokens set last_used_at = ? where id = ?', [now, row.id]);
  }
  const held = typeof row.permissions === 'string' ? (JSON.parse(row.permissions) as string[]) : ((row.permissions as string[]) ?? []);
  const token: AuthenticatedToken = {
    tokenId: String(row.id),
    tokenName: String(row.name),
    scope: row.scope as TokenScope,
    orgId: String(row.org_id),
    orgSlug: String(row.org_slug),
    permissions: held,
    scimRateLimit: resolveScimRateLimit(row.scim_rate_limit),
  };
  cache?.set(digest, token, now);
  return token;
}

const SURFACE: Record<TokenScope, string> = { scim: 'SCIM', admin: 'the admin API' };

function wrongScope(held: string, expected: TokenScope, orgSlug: string): AuthenticationError {
  return new AuthenticationError(`This is ${held === 'admin' ? 'an' : 'a'} ${held} token: ${SURFACE[expected]} takes a token created with "gatehouse token create --org ${orgSlug} --scope ${expected}"`);
}

/**
 * Valid tokens remembered for a few seconds, so a busy IdP's requests do not
 * each pay a token lookup. Only successes are cached (a bad token always costs
 * a query). A revocation through this process (admin API) drops the entry at
 * once; other instances stop accepting the token within `ttlMs`.
 */
export class TokenCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { token: AuthenticatedToken; until: number }>();
  readonly #maxEntries: number;

  constructor(ttlMs: number, maxEntries = 10_000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get(digest: string, now: Date): AuthenticatedToken | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    if (entry.until <= now.getTime()) {
      this.#entries.delete(digest);
      return undefined;
    }
    return entry.token;
  }

  set(digest: string, token: AuthenticatedToken, now: Date): void {
    if (this.#ttlMs <= 0) return;
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(digest, { token, until: now.getTime() + this.#ttlMs });
  }

  invalidate(tokenId: string): void {
    for (const [digest, entry] of this.#entries) if (entry.token.tokenId === tokenId) this.#entries.delete(digest);
  }
}

/**
 * `Authorization` header → the authenticated token of the expected scope, or AuthenticationError.
 * `basic`: a Basic header's password is taken as the token too (SCIM: Okta's Basic Auth mode).
 */
export async function authenticateBearer(
  db: SqlRunner,
  header: string | undefined,
  expected: TokenScope,
  clock: Clock,
  cache?: TokenCache,
  options: { basic: boolean } = { basic: false },
): Promise<AuthenticatedToken> {
  const presented = parseBearer(header) ?? (options.basic ? parseBasicPassword(header) : undefined);
  if (!presented) throw new AuthenticationError(bearerProblem(header, options));
  return authenticateToken(db, presented, expected, clock, cache);
}

/** The scope a token acts in: its org, with the token (by name) as the actor. */
export function scopeOfToken(token: AuthenticatedToken, origin: RequestOrigin): Scope {
  return {
    orgId: token.orgId,
    orgSlug: token.orgSlug,
    actor: { type: token.scope === 'scim' ? 'scim_token' : 'admin_token', id: token.tokenId, label: token.tokenName },
    requestId: origin.requestId,
    ip: origin.ip,
    userAgent: origin.userAgent,
  };
}
