import request from 'supertest';
import { createApiToken } from '../../src/directory/tokens.ts';
import type { SeededOrg, TestApp } from '../support/app.ts';
import { auth, scopeOf, sql } from '../people/support.ts';

type Json = Record<string, unknown>;

/** Requests to /api/orgs/:org with a bearer token (the org's full admin token unless given). */
export function orgApi(t: TestApp, org: SeededOrg, token = org.tokens.admin) {
  const base = `/api/orgs/${org.slug}`;
  const send = (method: 'post' | 'put' | 'patch' | 'delete') => (path: string, body?: unknown) =>
    request(t.app)[method](`${base}${path}`).set(auth(token)).send(body as object);
  return {
    get: (path: string) => request(t.app).get(`${base}${path}`).set(auth(token)),
    post: send('post'),
    put: send('put'),
    patch: send('patch'),
    delete: send('delete'),
  };
}

/** An admin token holding only the given permissions. */
export async function tokenWith(t: TestApp, org: SeededOrg, permissions: string[]): Promise<string> {
  const created = await createApiToken(t.container.fork(), scopeOf(org), { scope: 'admin', name: `only ${permissions.join(',') || 'reads'}`, permissions });
  return created.token;
}

/** Audit events of one action on one target, oldest first. */
export async function auditEvents(t: TestApp, action: string, targetId?: string): Promise<Json[]> {
  const rows = await sql(
    t,
    `select action, target_id, target_label, details from audit_events where action = ?${targetId ? ' and target_id = ?' : ''} order by id`,
    targetId ? [action, targetId] : [action],
  );
  return rows.map((r) => ({ ...r, details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details }));
}

/** A person's memberships straight from the table: group name → {role, source, via_mapping}. */
export async function membershipsOf(t: TestApp, userId: string): Promise<Record<string, { role: string; source: string; viaMapping: boolean }>> {
  const rows = await sql(
    t,
    `select g.display_name, m.role, m.source, m.via_mapping from memberships m join groups g on g.id = m.group_id where m.user_id = ? order by g.display_name`,
    [userId],
  );
  return Object.fromEntries(rows.map((r) => [String(r.display_name), { role: String(r.role), source: String(r.source), viaMapping: r.via_mapping === true }]));
}
