import type { Request, Response } from 'express';
import type { Container } from '../../container.ts';
import { accessOf, allows, type Permission, type Requirement } from '../../directory/permissions.ts';
import type { SessionPrincipal } from '../../directory/sessions.ts';
import { csrfTokenFor } from '../../lib/csrf.ts';
import { sessionOf, sessionTokenOf } from '../session.ts';

/** Who is looking at a console page: the signed-in person, their org and what they may do. */
export interface Viewer {
  userId: string;
  email: string | null;
  displayName: string;
  orgSlug: string;
  orgName: string;
  orgAdmin: boolean;
  permissions: ReadonlySet<Permission>;
  /** Sent as X-CSRF-Token by the page's scripts on every change (and as a form field by the password form). */
  csrf: string;
}

export function can(viewer: Viewer, requirement: Requirement): boolean {
  return allows({ kind: 'session', orgAdmin: viewer.orgAdmin, permissions: viewer.permissions }, requirement);
}

/** The viewer of a request whose session is already known. */
export function viewerFor(container: Container, req: Request, principal: SessionPrincipal): Viewer {
  const { user, org } = principal;
  const access = accessOf('session', user.permissions, user.orgRole === 'org_admin');
  return {
    userId: user.id,
    email: user.email,
    displayName: user.displayName ?? user.email ?? user.userName,
    orgSlug: org.slug,
    orgName: org.name,
    orgAdmin: access.orgAdmin,
    permissions: access.permissions,
    csrf: csrfTokenFor(sessionTokenOf(container, req)!),
  };
}

/** The signed-in person looking at the page, or null. */
export async function viewerOf(container: Container, req: Request): Promise<Viewer | null> {
  const principal = await sessionOf(container, req);
  return principal ? viewerFor(container, req, principal) : null;
}

/** To sign-in and back; a cookie that no longer opens a session means it ended, and the page says so. */
export function toLogin(container: Container, req: Request, res: Response): void {
  const ended = sessionTokenOf(container, req) ? '&expired=1' : '';
  res.redirect(303, `/console/login?next=${encodeURIComponent(req.originalUrl)}${ended}`);
}
