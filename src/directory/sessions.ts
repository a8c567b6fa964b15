import type { Em } from '../db/orm.ts';
import { jsonStringList } from '../db/jsonb.ts';
import type { OrgRole } from '../db/entities/index.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import { digestsEqual, generateToken, sha256Hex } from '../lib/tokens.ts';
import { recordAuditSql } from './audit.ts';
import { NotFoundError } from './errors.ts';
import { assertMayChangeAccount } from './org-admin-guard.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';

/**
 * Sessions: one per signed-in device. The cookie holds a random token; the
 * database only its SHA-256. At most `maxPerUser` live sessions: the oldest end first.
 */

export type SessionMethod = 'saml' | 'password' | 'invitation';

export interface SessionView {
  id: string;
  userId: string;
  method: SessionMethod;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  active: boolean;
}

export interface SessionPolicy {
  maxPerUser: number;
  ttlMs: number;
}

/** Writing lastSeenAt on every request would make every read a write. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

type Row = Record<string, unknown>;

function toView(row: Row, now: Date): SessionView {
  const revokedAt = row.revoked_at ? toDate(row.revoked_at) : null;
  const expiresAt = toDate(row.expires_at);
  return {
    id: String(row.id),
    userId: String(row.user_id),
    method: row.method as SessionMethod,
    ip: (row.ip as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt,
    revokedAt,
    active: !revokedAt && expiresAt.getTime() > now.getTime(),
  };
}

const sessionColumns = 's.id, s.user_id, s.method, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at';

/**
 * Starts a session for a user (run inside the sign-in transaction). The user
 * row is locked so two simultaneous logins cannot both slip under the cap.
 * Returns the secret for the cookie (shown once) and the sessions it ended.
 */
export async function startSession(
  em: Em,
  scope: Scope,
  input: { userId: string; method: SessionMethod; now: Date; policy: SessionPolicy },
): Promise<{ token: string; session: SessionView; ended: string[] }> {
  const { userId, method, now, policy } = input;
  await em.execute('select id from users where id = ? and org_id = ? for update', [userId, scope.orgId]);
  const token = generateToken('session');
  const id = uuidv7(now.getTime());
  const rows = await em.execute(
    `insert into sessions (id, created_at, updated_at, org_id, user_id, token_hash, method, ip, user_agent, last_seen_at, expires_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     returning id, user_id, method, ip, user_agent, created_at, last_seen_at, expires_at, revoked_at`,
    [id, now, now, scope.orgId, userId, sha256Hex(token), method, scope.ip?.slice(0, 64) ?? null, scope.userAgent?.slice(0, 500) ?? null, now, new Date(now.getTime() + policy.ttlMs)],
  );
  const ended = await em.execute(
    `update sessions set revoked_at = ?, updated_at = ? where id in (
       select id from sessions where org_id = ? and user_id = ? and revoked_at is null and expires_at > ?
       order by created_at desc, id desc offset ?)
     returning id`,
    [now, now, scope.orgId, userId, now, policy.maxPerUser],
  );
  return { token, session: toView(rows[0]!, now), ended: ended.map((r) => String(r.id)) };
}

export interface SessionPrincipal {
  session: SessionView;
  /** `permissions`: the grants an org admin gave (the admin API reads them on every request, so a change applies at once). */
  user: { id: string; email: string | null; displayName: string | null; userName: string; orgRole: OrgRole; permissions: string[] };
  org: { id: string; slug: string; name: string };
}

/** The signed-in person behind a cookie token, or null (unknown, revoked, expired, or no longer active). */
export async function authenticateSession(em: Em, token: string | undefined, now: Date): Promise<SessionPrincipal | null> {
  if (!token || token.length > 200 || !token.startsWith('gh_session_')) return null;
  const digest = sha256Hex(token);
  const rows = await em.execute(
    `select ${sessionColumns}, s.token_hash, u.email, u.display_name, u.user_name, u.org_role, u.permissions, o.id as org_id, o.slug as org_slug, o.name as org_name
     from sessions s join users u on u.id = s.user_id join organizations o on o.id = s.org_id
     where s.token_hash = ? and s.revoked_at is null and s.expires_at > ? and u.state = 'active'`,
    [digest, now],
  );
  const row = rows[0];
  if (!row || !digestsEqual(String(row.token_hash), digest)) return null;
  const session = toView(row, now);
  if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await em.execute('update sessions set last_seen_at = ? where id = ?', [now, session.id]);
    session.lastSeenAt = now;
  }
  return {
    session,
    user: {
      id: session.userId,
      email: (row.email as string | null) ?? null,
      displayName: (row.display_name as string | null) ?? null,
      userName: String(row.user_name),
      orgRole: row.org_role as OrgRole,
      permissions: jsonStringList(row.permissions),
    },
    org: { id: String(row.org_id), slug: String(row.org_slug), name: String(row.org_name) },
  };
}

/**
 * Ends every live session of the person (each profile with this email, in
 * every org) except `keepSessionId`, the device that just set the password.
 * Returns the ids it ended.
 */
export async function endOtherSessions(tx: Em, email: string, keepSessionId: string | undefined, now: Date): Promise<string[]> {
  const rows = await tx.execute(
    `update sessions set revoked_at = ?, updated_at = ? where revoked_at is null and expires_at > ? and id <> ?
     and user_id in (select id from users where email = ?) returning id`,
    [now, now, now, keepSessionId && isUuid(keepSessionId) ? keepSessionId : '00000000-0000-0000-0000-000000000000', email],
  );
  return rows.map((r) => String(r.id));
}

export async function listUserSessions(em: Em, scope: Pick<Scope, 'orgId'>, userId: string, now: Date): Promise<SessionView[]> {
  const exists = isUuid(userId) ? await em.execute('select 1 from users where org_id = ? and id = ?', [scope.orgId, userId]) : [];
  if (!exists.length) throw new NotFoundError('User', userId);
  const rows = await em.execute(
    `select ${sessionColumns} from sessions s where s.org_id = ? and s.user_id = ? order by s.created_at desc, s.id desc`,
    [scope.orgId, userId],
  );
  return rows.map((row) => toView(row, now));
}

/**
 * Ends one session of the org (admin revoke, the person's own logout, or the lock its own wrong
 * passwords started: `reason`); one audit event.
 */
export async function revokeSession(
  em: Em,
  scope: Scope,
  sessionId: string,
  now: Date,
  action: 'session.revoked' | 'session.ended' = 'session.revoked',
  reason?: 'password_locked',
): Promise<SessionView> {
  if (!isUuid(sessionId)) throw new NotFoundError('Session', sessionId);
  return em.transactional(async (tx) => {
    const rows = await tx.execute(
      `select ${sessionColumns}, u.org_role from sessions s join users u on u.id = s.user_id where s.org_id = ? and s.id = ?`,
      [scope.orgId, sessionId],
    );
    if (!rows[0]) throw new NotFoundError('Session', sessionId);
    assertMayChangeAccount(scope, { orgRole: rows[0].org_role });
    const current = toView(rows[0], now);
    if (current.revokedAt) return current;
    await tx.execute('update sessions set revoked_at = ?, updated_at = ? where id = ? and revoked_at is null', [now, now, current.id]);
    await recordAuditSql(tx, scope, {
      action,
      target: { type: 'session', id: current.id },
      details: { userId: current.userId, method: current.method, ...(reason ? { reason } : {}) },
    });
    return { ...current, revokedAt: now, active: false };
  });
}
