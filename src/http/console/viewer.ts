import { allows, type Permission, type Requirement } from '../../directory/permissions.ts';

/** Who is looking at a console page: the signed-in person, their org and what they may do. */
export interface Viewer {
  userId: string;
  email: string | null;
  displayName: string;
  orgSlug: string;
  orgName: string;
  orgAdmin: boolean;
  permissions: ReadonlySet<Permission>;
  /** Sent as X-CSRF-Token by the page's scripts on every change. */
  csrf: string;
}

export function can(viewer: Viewer, requirement: Requirement): boolean {
  return allows({ kind: 'session', orgAdmin: viewer.orgAdmin, permissions: viewer.permissions }, requirement);
}
