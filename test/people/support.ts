import request from 'supertest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestApp, testActor, type SeededOrg, type TestApp } from '../support/app.ts';
import { createUser } from '../../src/directory/users.ts';
import { emptyUserFields } from '../../src/directory/user-record.ts';
import type { Scope } from '../../src/directory/scope.ts';
import type { UserSource } from '../../src/db/entities/index.ts';
import type { Clock } from '../../src/lib/clock.ts';

type Json = Record<string, unknown>;

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A test app whose SCIM rate limit does not get in the way. */
export function createPeopleTestApp(clock?: Clock): Promise<TestApp> {
  return createTestApp({ config: { scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } }, ...(clock ? { clock } : {}) });
}

export function scopeOf(org: SeededOrg): Scope {
  return { orgId: org.id, orgSlug: org.slug, actor: testActor };
}

export async function sql(t: TestApp, text: string, params: unknown[] = []): Promise<Json[]> {
  return (await t.container.fork().execute(text, params)) as Json[];
}

export interface NewUser {
  userName: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  displayName?: string;
  source?: UserSource;
  /** Stored state to put the user in after creation (`invited` takes inviteExpiresAt). */
  state?: 'active' | 'disabled' | 'invited';
  inviteExpiresAt?: Date | null;
}

/** Creates a user through the domain, then moves it to the wanted stored state by SQL. */
export async function addUser(t: TestApp, org: SeededOrg, user: NewUser): Promise<string> {
  const fields = emptyUserFields(user.userName);
  fields.givenName = user.givenName ?? 'Given';
  fields.familyName = user.familyName ?? 'Family';
  fields.displayName = user.displayName ?? null;
  const email = user.email ?? (user.userName.includes('@') ? user.userName : `${user.userName}@example.com`);
  fields.emails = [{ value: email, type: 'work', primary: true }];
  const created = await createUser(t.container.fork(), scopeOf(org), fields, { source: user.source ?? 'admin', active: user.state !== 'disabled' });
  if (user.state === 'invited') {
    await sql(t, `update users set state = 'invited', invite_expires_at = ? where id = ?`, [user.inviteExpiresAt ?? null, created.id]);
  }
  return created.id;
}

export async function addSession(t: TestApp, org: SeededOrg, userId: string): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await sql(
    t,
    `insert into sessions (id, created_at, updated_at, org_id, user_id, token_hash, method, last_seen_at, expires_at)
     values (?, ?, ?, ?, ?, ?, 'password', ?, ?)`,
    [id, now, now, org.id, userId, randomBytes(32).toString('hex'), now, new Date(now.getTime() + 86_400_000)],
  );
  return id;
}

export async function addGroup(t: TestApp, org: SeededOrg, name: string, userIds: string[], role = 'viewer'): Promise<string> {
  const id = randomUUID();
  await sql(t, `insert into groups (id, org_id, display_name, source, scim_attributes, version, created_at, updated_at) values (?, ?, ?, 'admin', '{}', 1, now(), now())`, [id, org.id, name]);
  for (const userId of userIds) {
    await sql(t, `insert into memberships (id, org_id, group_id, user_id, role, source, added_at) values (?, ?, ?, ?, ?, 'admin', now())`, [randomUUID(), org.id, id, userId, role]);
  }
  return id;
}

export async function auditActions(t: TestApp, targetId: string): Promise<string[]> {
  return (await sql(t, `select action from audit_events where target_id = ? order by id`, [targetId])).map((r) => String(r.action));
}

export function api(t: TestApp, org: SeededOrg, token = org.tokens.admin) {
  const base = `/api/orgs/${org.slug}`;
  return {
    get: (path: string) => request(t.app).get(`${base}${path}`).set(auth(token)),
    post: (path: string, body?: unknown) => request(t.app).post(`${base}${path}`).set(auth(token)).send(body as object),
    patch: (path: string, body?: unknown) => request(t.app).patch(`${base}${path}`).set(auth(token)).send(body as object),
    delete: (path: string, body?: unknown) => request(t.app).delete(`${base}${path}`).set(auth(token)).send(body as object),
  };
}

export async function setSeatLimit(t: TestApp, org: SeededOrg, seatLimit: number | null): Promise<void> {
  const res = await api(t, org).patch('/settings', { seatLimit });
  if (res.status !== 200) throw new Error(`seat limit: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * A loop of managers waiting on someone deleted: back's manager is boss and under's is back; back is
 * deleted, and then boss's manager set to under (allowed: a deleted manager is no manager). Bringing
 * back back would close boss → under → back → boss. Addresses `<prefix>-boss@<domain>` and so on.
 */
export async function loopAroundDeleted(t: TestApp, org: SeededOrg, prefix: string, domain = 'acme.test'): Promise<{ boss: string; back: string; under: string }> {
  const [boss, back, under] = await Promise.all(['boss', 'back', 'under'].map((role) => addUser(t, org, { userName: `${prefix}-${role}@${domain}` })));
  await api(t, org).patch(`/users/${back}`, { managerId: boss }).expect(200);
  await api(t, org).patch(`/users/${under}`, { managerId: back }).expect(200);
  await api(t, org).delete(`/users/${back}`, { confirmEmail: `${prefix}-back@${domain}` }).expect(200);
  await api(t, org).patch(`/users/${boss}`, { managerId: under }).expect(200);
  return { boss: boss!, back: back!, under: under! };
}
