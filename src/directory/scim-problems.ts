import type { Em } from '../db/orm.ts';
import { executeBound, type SqlRunner } from '../db/bound-query.ts';
import type { OpaqueIds } from '../lib/opaque-ids.ts';
import { ValidationError } from './errors.ts';
import type { Scope } from './scope.ts';

/**
 * SCIM requests of an org's IdP that Gatehouse refused, kept for the org's
 * admins: otherwise the reason (an unknown manager, the last org admin, no
 * seat left…) is only in the IdP's provisioning log, and an IdP quarantines a
 * job that keeps failing. Only what the IdP was answered is kept, never what
 * it sent. Written on the refusal path only, once the request's own
 * transaction has rolled back; a success does no extra work.
 */

export interface ScimRefusal {
  at: Date;
  method: string;
  path: string;
  status: number;
  scimType: string | undefined;
  detail: string;
}

export interface ScimProblemView {
  id: string;
  at: string;
  method: string;
  path: string;
  tokenName: string;
  status: number;
  scimType: string | null;
  detail: string;
  requestId: string | null;
}

export interface ScimProblemCount {
  status: number;
  scimType: string | null;
  count: number;
}

/**
 * Whether a SCIM answer is a problem worth an admin's attention. Not: a bad
 * token (no org to file it under), a lookup of an id the org does not have
 * (IdPs look up before they create), the deletion of one (Entra deletes
 * people about 30 days after it soft-deleted them, often gone here by then),
 * a stale If-Match (the IdP reads again), throttling (each throttled request
 * would cost the write the limiter spares), and anything not a 4xx.
 */
export function isScimProblem(method: string, status: number): boolean {
  if (status < 400 || status > 499) return false;
  if (status === 401 || status === 412 || status === 429) return false;
  return !(status === 404 && (method === 'GET' || method === 'HEAD' || method === 'DELETE'));
}

/**
 * Records one refusal, then drops the org's oldest beyond `cap`. Two
 * statements outside any transaction: the request's own one rolled back.
 */
export async function recordScimProblem(db: SqlRunner, scope: Scope, refusal: ScimRefusal, cap: number): Promise<void> {
  await executeBound(
    db,
    `insert into scim_problems (org_id, at, method, path, token_id, token_name, status, scim_type, detail, request_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      scope.orgId, refusal.at, refusal.method.slice(0, 10), refusal.path.slice(0, 500), scope.actor.id ?? null, scope.actor.label.slice(0, 200),
      refusal.status, refusal.scimType ?? null, refusal.detail.slice(0, 2000), (scope.requestId ?? '').slice(0, 100),
    ],
  );
  // The (org_id, id) index: at most `cap` entries read to find the newest one past the cap.
  await executeBound(
    db,
    `delete from scim_problems where org_id = ? and id <= (select id from scim_problems where org_id = ? order by id desc offset ? limit 1)`,
    [scope.orgId, scope.orgId, cap],
  );
}

/**
 * The org's problems newest first, a page at a time, with counts by status and scimType over all it
 * keeps. `scim_problems.id` is one sequence for every org, so ids and cursors are shown encrypted per
 * org (`ids`, the audit trail's codec: lib/opaque-ids.ts), never as the number: that would tell an
 * admin how many refusals other orgs get between theirs.
 */
export async function listScimProblems(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  page: { cursor?: string | undefined; limit: number; ids: OpaqueIds },
): Promise<{ problems: ScimProblemView[]; counts: ScimProblemCount[]; nextCursor: string | null }> {
  // A cursor this API did not give (or gave another org) is refused, as the other lists do: ignored, it would restart a paging client at page one.
  const before = page.cursor === undefined ? undefined : page.ids.decode(page.cursor, scope.orgId);
  if (before === null) throw ValidationError.field('cursor', 'is not a cursor this API returned');
  const rows = await em.execute(
    `select id::text as id, at, method, path, token_name, status, scim_type, detail, request_id from scim_problems
     where org_id = ? ${before ? 'and id < ?' : ''} order by id desc limit ?`,
    before ? [scope.orgId, before, page.limit + 1] : [scope.orgId, page.limit + 1],
  );
  const problems = rows.slice(0, page.limit).map((r) => ({
    id: page.ids.encode(String(r.id), scope.orgId),
    at: new Date(r.at as string).toISOString(),
    method: String(r.method),
    path: String(r.path),
    tokenName: String(r.token_name),
    status: Number(r.status),
    scimType: (r.scim_type as string | null) ?? null,
    detail: String(r.detail),
    requestId: r.request_id ? String(r.request_id) : null,
  }));
  const counts = await em.execute(
    `select status, scim_type, count(*)::int as count from scim_problems where org_id = ? group by status, scim_type order by count(*) desc, status, scim_type`,
    [scope.orgId],
  );
  return {
    problems,
    counts: counts.map((c) => ({ status: Number(c.status), scimType: (c.scim_type as string | null) ?? null, count: Number(c.count) })),
    nextCursor: rows.length > page.limit ? problems[problems.length - 1]!.id : null,
  };
}
