import { randomBytes } from 'node:crypto';
import type { Em } from '../db/orm.ts';
import type { Organization, SamlConnection } from '../db/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import { recordAuditSql } from '../directory/audit.ts';
import { consumeAuthnRequest, rememberAssertionId, rememberAuthnRequest } from '../directory/saml-messages.ts';
import { spEndpoints } from '../directory/saml-connections.ts';
import { decryptionKeys } from '../directory/saml-encryption-keys.ts';
import { startSession, type SessionPolicy, type SessionView } from '../directory/sessions.ts';
import { admitSsoUser, SsoRefusedError, type SsoRefusal } from '../directory/sso.ts';
import type { RequestOrigin, Scope } from '../directory/scope.ts';
import type { Reason } from './checks.ts';
import { checkBrowserBinding, newBinding } from './browser-binding.ts';
import { attributeNamesFor } from './identity.ts';
import { samlFor } from './options.ts';
import { verifyResponse } from './response.ts';
import { landingAfterSignIn, SIGNED_IN_LANDING } from '../lib/landing.ts';
import { nameList } from '../lib/name-list.ts';
import type { RateLimitSettings } from '../lib/rate-limit.ts';

export interface SamlDeps {
  publicUrl: string;
  clock: Clock;
  clockSkewMs: number;
  requestTtlMs: number;
  acsBodyLimitBytes: number;
  failureLimit: { perClient: RateLimitSettings; perOrgAudit: RateLimitSettings };
  sessions: SessionPolicy;
  /** A fresh EntityManager: failures are audited outside the request's unit of work. */
  fork(): Em;
}

export interface Tenant {
  org: Organization;
  connection: SamlConnection;
}

/** A sign-in that did not happen. `reason` is logged and audited; people only see `publicMessage`. */
export class SsoFailure extends Error {
  readonly reason: Reason | SsoRefusal | 'relay_state';
  readonly status: number;
  readonly publicMessage: string;
  constructor(reason: SsoFailure['reason'], detail: string, status = 400, publicMessage = GENERIC) {
    super(detail);
    this.reason = reason;
    this.status = status;
    this.publicMessage = publicMessage;
  }
}

/** The IdP's own refusal (its message is not shown: anyone can post one). */
const IDP_REFUSED = 'Your identity provider did not sign you in. Ask your administrator to check that you are assigned to this application there; give them the reference below.';
/** A tile clicked on the IdP's dashboard while the connection takes only sign-ins started here (the page links to the start). */
const UNSOLICITED = 'This sign-in was started from your identity provider\'s dashboard, which this organization does not accept. Start it here instead: you will pass through your identity provider and come back signed in.';
/** A response to a request this browser did not make (login CSRF, or a sign-in started in another browser or with cookies blocked). */
const NOT_THIS_BROWSER = 'This sign-in was not started in this browser, so it was not accepted. Start it here: you will pass through your identity provider and come back signed in.';
/** The browser holds another sign-in's cookie: most often a second tab (or a second click) started one since. */
const STARTED_AGAIN = 'This sign-in was not accepted: another sign-in was started in this browser since (in another tab, perhaps), or this one was not started here. Start it here: you will pass through your identity provider and come back signed in.';
const GENERIC = 'The sign-in response from your identity provider could not be accepted. Try signing in again; if it keeps failing, give your administrator the reference below.';

/**
 * RelayState → where to send the person after sign-in: a console path, or a
 * URL on the connection's allow-list (exact, or a `…*` prefix on the same origin), else null.
 * An open redirect here would turn the IdP's trust into a phishing link.
 */
export function allowedReturnUrl(relayState: string | null | undefined, allowList: string[]): string | null {
  // Control characters or a lone surrogate: not a place anyone meant (the URL parser would quietly drop some).
  if (!relayState || /\p{Cc}/u.test(relayState) || !relayState.isWellFormed()) return null;
  // A console path on this origin ("Sign in with SSO" carries `next`): the same rule as a password sign-in's next.
  if (relayState.startsWith('/')) return landingAfterSignIn(relayState) === relayState ? relayState : null;
  let target: URL;
  try {
    target = new URL(relayState);
  } catch {
    return null;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return null;
  if (target.username || target.password) return null;
  const href = target.href;
  for (const entry of allowList) {
    if (!entry.endsWith('*')) {
      if (entry === relayState || entry === href) return href;
      continue;
    }
    const prefix = entry.slice(0, -1);
    try {
      if (new URL(prefix).origin === target.origin && href.startsWith(prefix)) return href;
    } catch {
      // An unusable entry allows nothing.
    }
  }
  return null;
}

/**
 * SP-initiated: an AuthnRequest (HTTP-Redirect) whose ID every instance can later check,
 * and the nonce the caller gives the browser in its binding cookie (saml/browser-binding.ts).
 */
export async function startLogin(em: Em, deps: SamlDeps, tenant: Tenant, relayState: string | undefined): Promise<{ url: string; browserBinding: string }> {
  const { org, connection } = tenant;
  if (relayState && !allowedReturnUrl(relayState, connection.allowedRedirectUrls)) {
    throw new SsoFailure('relay_state', `RelayState ${relayState.slice(0, 200)} is not on the allow-list`, 400,
      'The page you asked to return to is not on this organization\'s list of allowed return addresses.');
  }
  // xs:ID must not start with a digit.
  const requestId = `_${randomBytes(20).toString('hex')}`;
  const now = deps.clock.now();
  const binding = newBinding();
  await rememberAuthnRequest(em, org.id, connection.id, {
    requestId,
    relayState: relayState ?? null,
    browserBinding: binding.digest,
    expiresAt: new Date(now.getTime() + deps.requestTtlMs),
  });
  const saml = samlFor(connection, spEndpoints(deps.publicUrl, org.slug, connection.name), requestId);
  return { url: await saml.getAuthorizeUrlAsync(relayState ?? '', undefined, {}), browserBinding: binding.value };
}

export interface SignedIn {
  token: string;
  session: SessionView;
  redirectTo: string;
  userId: string;
  /** It answered a request of ours: the browser's binding cookie is spent. */
  solicited: boolean;
}

/**
 * The ACS: verify the Response, consume the request it answers (from the
 * browser that made it: `browserBinding` is the nonce its cookie holds), refuse a
 * replayed assertion, admit the person under the JIT policy and start their
 * session. The two one-time checks commit on their own, before the sign-in
 * transaction, so a later refusal does not make a message usable again.
 */
export async function completeLogin(
  em: Em,
  deps: SamlDeps,
  tenant: Tenant,
  body: { SAMLResponse?: unknown; RelayState?: unknown },
  origin: RequestOrigin,
  browserBinding: string | undefined,
): Promise<SignedIn> {
  const { org, connection } = tenant;
  const now = deps.clock.now();
  const endpoints = spEndpoints(deps.publicUrl, org.slug, connection.name);
  const verified = await verifyResponse(body.SAMLResponse, {
    connection,
    endpoints,
    now,
    clockSkewMs: deps.clockSkewMs,
    maxBytes: deps.acsBodyLimitBytes,
    decryptionKeys: () => decryptionKeys(em, org.id, connection.id),
  });
  if (!verified.ok) {
    const publicMessage = verified.code === 'status' ? IDP_REFUSED : verified.code === 'unsolicited' ? UNSOLICITED : GENERIC;
    throw new SsoFailure(verified.code, verified.detail, verified.code === 'too_large' ? 413 : 400, publicMessage);
  }
  const response = verified.value;

  let relayState = typeof body.RelayState === 'string' ? body.RelayState : null;
  if (response.inResponseTo) {
    const request = await consumeAuthnRequest(em, org.id, connection.id, response.inResponseTo, now);
    if (!request) throw new SsoFailure('unknown_request', `InResponseTo ${response.inResponseTo.slice(0, 100)} was not issued by this connection, has expired or was already used`);
    // After the consume: a response refused here stays used, so a planted one cannot be retried.
    const bound = checkBrowserBinding(request.browserBinding, browserBinding);
    if (!bound.ok) throw new SsoFailure(bound.code, bound.detail, 400, bound.code === 'binding_mismatch' ? STARTED_AGAIN : NOT_THIS_BROWSER);
    // The return address chosen when the request was made wins over one posted back.
    relayState = request.relayState ?? relayState;
  }
  if (!(await rememberAssertionId(em, org.id, response.assertionId, response.validUntil, now))) {
    // Not the assertion's ID: the detail is logged, and assertions stay out of logs (issue 9).
    throw new SsoFailure('replay', `an assertion valid until ${response.validUntil.toISOString()} was already used`);
  }

  const system: Scope = { ...origin, orgId: org.id, orgSlug: org.slug, actor: { type: 'system', label: `saml:${connection.name}` } };
  try {
    return await em.transactional(async (tx) => {
      const admitted = await admitSsoUser(tx, system, connection, response.identity, now);
      const user = admitted.user;
      const scope: Scope = { ...system, actor: { type: 'user', id: user.id, label: user.email ?? user.userName } };
      const started = await startSession(tx, scope, { userId: user.id, method: 'saml', now, policy: deps.sessions });
      await recordAuditSql(tx, scope, {
        action: 'sso.login',
        target: { type: 'user', id: user.id, label: user.userName },
        details: {
          connection: connection.name,
          matchedBy: admitted.matchedBy,
          activated: admitted.activated,
          sessionId: started.session.id,
          endedSessions: started.ended,
          idpInitiated: !response.inResponseTo,
          encrypted: response.encrypted,
        },
      });
      return {
        token: started.token,
        session: started.session,
        userId: user.id,
        solicited: Boolean(response.inResponseTo),
        redirectTo: allowedReturnUrl(relayState, connection.allowedRedirectUrls) ?? SIGNED_IN_LANDING,
      };
    });
  } catch (error) {
    if (error instanceof SsoRefusedError) {
      const detail = error.reason === 'missing_email' ? missingEmailDetail(attributeNamesFor('email', connection.attributeMapping)) : `user refused: ${error.reason}`;
      throw new SsoFailure(error.reason, detail, 403, error.message);
    }
    throw error;
  }
}

/** The most of a failure's detail an `sso.failed` entry keeps. */
const DETAIL_MAX = 500;

/** Every default name and the whole sentence fit in DETAIL_MAX, however long the connection's mapped attribute name. */
function missingEmailDetail(looked: string[]): string {
  const [before, after] = ['user refused: jit create needs an email address, and the assertion has no email attribute (looked for ', ') and its NameID is not an email address'];
  return `${before}${nameList(looked, DETAIL_MAX - before.length - after.length)}${after}`;
}

/** `sso.failed`, with the precise reason, on its own connection so it survives any rollback. */
export async function auditFailure(deps: SamlDeps, tenant: Tenant, failure: SsoFailure, origin: RequestOrigin): Promise<void> {
  const scope: Scope = { ...origin, orgId: tenant.org.id, orgSlug: tenant.org.slug, actor: { type: 'system', label: `saml:${tenant.connection.name}` } };
  await recordAuditSql(deps.fork(), scope, {
    action: 'sso.failed',
    target: { type: 'saml_connection', id: tenant.connection.id, label: tenant.connection.name },
    details: { reason: failure.reason, detail: failure.message.slice(0, DETAIL_MAX) },
  });
}
