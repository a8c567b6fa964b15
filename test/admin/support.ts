import request from 'supertest';
import type { TestApp, SeededOrg } from '../support/app.ts';
import { testActor } from '../support/app.ts';
import { addUser, scopeOf } from '../people/support.ts';
import { startSession } from '../../src/directory/sessions.ts';
import { setUserAccess } from '../../src/directory/org-admins.ts';
import { createApiToken } from '../../src/directory/tokens.ts';
import type { Permission } from '../../src/directory/permissions.ts';
import type { OrgRole } from '../../src/db/entities/index.ts';
import { sessionCookie } from '../../src/lib/cookies.ts';
import { csrfTokenFor } from '../../src/lib/csrf.ts';

/** A signed-in person: their id, the Cookie header value and the CSRF token their page would send. */
export interface SignedIn {
  userId: string;
  email: string;
  cookie: string;
  csrf: string;
}

/**
 * Creates a person of `org` with this role and these grants (through the
 * domain, as an org admin would) and starts a password session for them, as
 * the sign-in routes do (at `now`: the app's clock, when a test moves it).
 */
export async function signIn(t: TestApp, org: SeededOrg, email: string, access: { orgRole?: OrgRole; permissions?: Permission[]; now?: Date } = {}): Promise<SignedIn> {
  const userId = await addUser(t, org, { userName: email, email });
  const scope = scopeOf(org);
  if (access.orgRole || access.permissions) await setUserAccess(t.container.fork(), scope, userId, { ...(access.orgRole ? { orgRole: access.orgRole } : {}), ...(access.permissions ? { permissions: access.permissions } : {}) });
  const { token } = await t.container.fork().transactional((tx) =>
    startSession(tx, scope, { userId, method: 'password', now: access.now ?? new Date(), policy: { maxPerUser: 10, ttlMs: 3_600_000 } }),
  );
  const { name } = sessionCookie(t.container.config.publicUrl);
  return { userId, email, cookie: `${name}=${token}`, csrf: csrfTokenFor(token) };
}

/** An admin token of `org` holding exactly these permissions. */
export async function tokenWith(t: TestApp, org: SeededOrg, permissions: Permission[]): Promise<string> {
  const { token } = await createApiToken(t.container.fork(), { orgId: org.id, orgSlug: org.slug, actor: testActor }, { scope: 'admin', name: `token ${permissions.join(' ')}`, permissions });
  return token;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A request to /api/orgs/:org as the signed-in person's page sends it: cookie, and the CSRF header on changes. */
export function asPerson(t: TestApp, org: SeededOrg, who: SignedIn, options: { csrf?: string | null } = {}) {
  return (method: Method, path: string, body?: unknown) => {
    let req = request(t.app)[method](`/api/orgs/${org.slug}${path}`).set('Cookie', who.cookie);
    const csrf = options.csrf === undefined ? who.csrf : options.csrf;
    if (method !== 'get' && csrf !== null) req = req.set('X-CSRF-Token', csrf);
    return body === undefined ? req : req.send(body as object);
  };
}

/** A request to /api/orgs/:org with a bearer token. */
export function asToken(t: TestApp, org: SeededOrg, token: string) {
  return (method: Method, path: string, body?: unknown) => {
    const req = request(t.app)[method](`/api/orgs/${org.slug}${path}`).set('Authorization', `Bearer ${token}`);
    return body === undefined ? req : req.send(body as object);
  };
}
