import type { Em } from '../db/orm.ts';
import type { JitPolicy } from '../db/entities/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import { LimitError, PermissionError } from './errors.ts';
import { auditAction } from './lifecycle.ts';
import { activateInvitee } from './invitee-activation.ts';
import { applyGroupClaims } from './mapped-memberships.ts';
import type { Scope } from './scope.ts';
import { createUser, saveUser } from './users.ts';
import { emptyUserFields, rowToUser, userColumnsSql, type UserRecord } from './user-record.ts';

/**
 * Single sign-on meets the directory: who a verified IdP identity is, and
 * whether they may come in. Wire formats stay in the adapter; this sees plain data.
 * SCIM is authoritative (IDP-NOTES §2): a login never revives a user SCIM
 * disabled or deleted, and never rewrites a SCIM-managed profile.
 */

export interface SsoIdentity {
  nameId: string;
  nameIdFormat: string | null;
  email: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  /** Entra's `…/claims/name` (the UPN): tried against userName. */
  userName: string | null;
  /** An IdP object id claim (Entra objectidentifier), tried against externalId too. */
  externalId: string | null;
  /** null: the IdP said the list is too long to send (Entra group overage); the last known claims stay. */
  groups: string[] | null;
}

export type MatchedBy = 'link' | 'externalId' | 'userName' | 'email';

export type SsoRefusal = 'unknown_user' | 'disabled' | 'deleted' | 'expired' | 'pending' | 'no_seat' | 'missing_email';

const refusalMessages: Record<SsoRefusal, string> = {
  unknown_user: 'Your account is not set up in this organization yet. Ask your administrator for access.',
  disabled: 'Your account in this organization is disabled. Ask your administrator if you think this is a mistake.',
  deleted: 'Your account in this organization was removed. Ask your administrator if you think this is a mistake.',
  expired: 'Your invitation to this organization has expired. Ask your administrator for a new one.',
  pending: 'Your invitation to this organization has not been accepted yet. Use the link in your invitation email first.',
  no_seat: 'Your organization has no free seat for you. Ask your administrator.',
  missing_email: 'Your identity provider did not send your email address, which this organization needs to set up your account. Ask your administrator to add an email attribute to the single sign-on application.',
};

/** A person the IdP vouched for whom the directory refuses; `reason` is safe to show them. */
export class SsoRefusedError extends PermissionError {
  readonly reason: SsoRefusal;
  constructor(reason: SsoRefusal) {
    super(refusalMessages[reason], { reason });
    this.reason = reason;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/**
 * Finds the user an identity belongs to, in order: a stored link to the NameID,
 * externalId, userName, email — all in this org; deleted users too, so that a
 * login can refuse them rather than create a look-alike.
 */
export async function findSsoUser(
  em: Em,
  orgId: string,
  connectionId: string,
  identity: SsoIdentity,
): Promise<{ user: UserRecord; matchedBy: MatchedBy } | null> {
  const linked = await em.execute(
    `select ${userColumnsSql} from sso_links l join users u on u.id = l.user_id
     where l.org_id = ? and l.connection_id = ? and l.name_id = ?`,
    [orgId, connectionId, identity.nameId],
  );
  if (linked[0]) return { user: rowToUser(linked[0]), matchedBy: 'link' };

  const emails = [identity.email, EMAIL.test(identity.nameId) ? identity.nameId : null]
    .filter((e): e is string => Boolean(e))
    .map((e) => e.trim().toLowerCase());
  const externalIds = [identity.nameId, identity.externalId].filter((e): e is string => Boolean(e));
  const userNames = [identity.nameId, identity.userName, ...emails].filter((n): n is string => Boolean(n));
  const steps: Array<[MatchedBy, string, string[]]> = [
    ['externalId', 'u.external_id', externalIds],
    ['userName', 'lower(u.user_name)', userNames.map((n) => n.toLowerCase())],
    ['email', 'u.email', emails],
  ];
  for (const [matchedBy, column, values] of steps) {
    if (!values.length) continue;
    // Several candidates (two profiles sharing an email): prefer a live one, then the oldest.
    const rows = await em.execute(
      `select ${userColumnsSql} from users u where u.org_id = ? and ${column} in (${values.map(() => '?').join(', ')})
       order by (u.state = 'deleted'), u.id limit 1`,
      [orgId, ...values],
    );
    if (rows[0]) return { user: rowToUser(rows[0]), matchedBy };
  }
  return null;
}

export type SsoDecision =
  | { action: 'sign_in' }
  | { action: 'activate' }
  | { action: 'create' }
  | { action: 'refuse'; reason: SsoRefusal };

/** The JIT policy as a table: what happens to a found (or missing) user. Pure. */
export function decideSsoAccess(user: Pick<UserRecord, 'state' | 'inviteExpiresAt'> | null, jit: JitPolicy, now: Date): SsoDecision {
  if (!user) return jit === 'create' ? { action: 'create' } : { action: 'refuse', reason: 'unknown_user' };
  switch (user.state) {
    case 'active':
      return { action: 'sign_in' };
    case 'disabled':
      return { action: 'refuse', reason: 'disabled' };
    case 'deleted':
      return { action: 'refuse', reason: 'deleted' };
    case 'invited': {
      if (user.inviteExpiresAt && user.inviteExpiresAt.getTime() <= now.getTime()) return { action: 'refuse', reason: 'expired' };
      return jit === 'off' ? { action: 'refuse', reason: 'pending' } : { action: 'activate' };
    }
  }
}

/** invited → active: the same acceptance as the registration form (seat, memberships with one event each, invitation), then `user.activated`. */
async function acceptInvitation(em: Em, scope: Scope, user: UserRecord, now: Date): Promise<UserRecord> {
  if (user.state !== 'invited') throw new SsoRefusedError('pending');
  const activated = await takingSeat(() => activateInvitee(em, scope, { id: user.id, label: user.userName }, now, 'saml'));
  await recordAuditSql(em, scope, {
    action: auditAction.accept,
    target: { type: 'user', id: user.id, label: user.userName },
    details: { via: 'saml', invitationId: activated.invitationId, groups: activated.groups },
  });
  const rows = await em.execute(`select ${userColumnsSql} from users u where u.id = ? and u.org_id = ?`, [user.id, scope.orgId]);
  return rowToUser(rows[0]!);
}

/** A sign-in that takes a seat (an invitee accepting, a new person): none left is a refusal the person is told, not a failure. */
async function takingSeat<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LimitError) throw new SsoRefusedError('no_seat');
    throw error;
  }
}

function jitFields(identity: SsoIdentity) {
  const email = identity.email ?? (EMAIL.test(identity.nameId) ? identity.nameId : null);
  const fields = emptyUserFields(email ?? identity.userName ?? identity.nameId);
  fields.externalId = identity.externalId;
  fields.givenName = identity.givenName;
  fields.familyName = identity.familyName;
  fields.displayName = identity.displayName ?? ([identity.givenName, identity.familyName].filter(Boolean).join(' ') || null);
  fields.emails = email ? [{ value: email.toLowerCase(), type: 'work', primary: true }] : [];
  return fields;
}

/** Users JIT created are kept in step with their claims; everyone else's profile belongs to SCIM, CSV or admins. */
async function refreshJitProfile(em: Em, scope: Scope, user: UserRecord, identity: SsoIdentity): Promise<UserRecord> {
  if (user.source !== 'saml-jit') return user;
  const claimed = jitFields(identity);
  const next = {
    ...user,
    givenName: claimed.givenName ?? user.givenName,
    familyName: claimed.familyName ?? user.familyName,
    displayName: claimed.displayName ?? user.displayName,
    emails: claimed.emails.length ? claimed.emails : user.emails,
  };
  const { user: saved } = await saveUser(em, scope, user, next);
  return saved;
}

export interface SsoSignIn {
  user: UserRecord;
  matchedBy: MatchedBy | 'created';
  activated: boolean;
}

/**
 * Resolves and admits the person behind a verified identity under the
 * connection's JIT policy; links the NameID and touches lastActiveAt.
 * Run inside the caller's transaction. Throws SsoRefusedError.
 */
export async function admitSsoUser(
  em: Em,
  scope: Scope,
  connection: { id: string; jit: JitPolicy },
  identity: SsoIdentity,
  now: Date,
): Promise<SsoSignIn> {
  const found = await findSsoUser(em, scope.orgId, connection.id, identity);
  const decision = decideSsoAccess(found?.user ?? null, connection.jit, now);
  let user: UserRecord;
  let activated = false;
  switch (decision.action) {
    case 'refuse':
      throw new SsoRefusedError(decision.reason);
    case 'create': {
      // A person with no address cannot be mailed, reset, invited to another org nor matched later by
      // SCIM or CSV on email: an IdP that sends an opaque NameID and no email attribute is a set-up the
      // admin fixes at the IdP, so the sign-in is refused (saying so) rather than creating a mailless profile.
      const fields = jitFields(identity);
      if (!fields.emails.length) throw new SsoRefusedError('missing_email');
      // One time for created and last active: the sign-in that creates the person is their first activity.
      user = await takingSeat(() => createUser(em, scope, fields, { source: 'saml-jit', now }));
      break;
    }
    case 'activate':
      user = await acceptInvitation(em, scope, found!.user, now);
      activated = true;
      break;
    case 'sign_in':
      user = await refreshJitProfile(em, scope, found!.user, identity);
      break;
  }
  if (identity.nameIdFormat !== TRANSIENT) {
    await em.execute(
      `insert into sso_links (id, created_at, updated_at, org_id, connection_id, user_id, name_id, name_id_format, last_login_at)
       values (?, now(), now(), ?, ?, ?, ?, ?, ?)
       on conflict (connection_id, name_id) do update set last_login_at = excluded.last_login_at, updated_at = now()`,
      [uuidv7(), scope.orgId, connection.id, user.id, identity.nameId, identity.nameIdFormat, now],
    );
  }
  // IdP group mappings: the assertion's group claims give mapped memberships (source saml-jit).
  if (identity.groups) await applyGroupClaims(em, scope, user.id, identity.groups);
  await em.execute('update users set last_active_at = ? where id = ? and org_id = ?', [now, user.id, scope.orgId]);
  return { user: { ...user, lastActiveAt: now }, matchedBy: found?.matchedBy ?? 'created', activated };
}
