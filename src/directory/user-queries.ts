import { executeHot, type SqlRunner } from '../db/bound-query.ts';
import { isUuid } from '../lib/ids.ts';
import { NotFoundError } from './errors.ts';
import type { Scope } from './scope.ts';
import { liveUserCountSql } from './user-counts.ts';
import { rowToUser, userColumnsSql, userGroupsSql, type UserRecord } from './user-record.ts';

/** Users read: one by id or userName, and pages of an org's live users. The org is always part of the WHERE clause. */

interface ReadOptions {
  withGroups?: boolean;
  includeDeleted?: boolean;
}

export async function findUser(em: SqlRunner, scope: Pick<Scope, 'orgId'>, id: string, options: ReadOptions = {}): Promise<UserRecord | null> {
  if (!isUuid(id)) return null;
  const rows = await executeHot(
    em,
    `select ${userColumnsSql}${options.withGroups ? `, ${userGroupsSql}` : ''}
     from users u where u.org_id = ? and u.id = ?${options.includeDeleted ? '' : ` and u.state <> 'deleted'`}`,
    [scope.orgId, id],
    { prepare: true },
  );
  return rows[0] ? rowToUser(rows[0]) : null;
}

/**
 * The user with this userName (compared case-insensitively, as the unique index
 * does), or null: what an IdP asks before every create (`userName eq "…"`).
 * One key lookup, where the general list query would also count the matches.
 */
export async function findUserByUserName(em: SqlRunner, scope: Pick<Scope, 'orgId'>, userName: string, options: Pick<ReadOptions, 'withGroups'> = {}): Promise<UserRecord | null> {
  const rows = await executeHot(
    em,
    `select ${userColumnsSql}${options.withGroups ? `, ${userGroupsSql}` : ''}
     from users u where u.org_id = ? and lower(u.user_name) = lower(?) and u.state <> 'deleted'`,
    [scope.orgId, userName],
    { prepare: true },
  );
  return rows[0] ? rowToUser(rows[0]) : null;
}

export async function getUser(em: SqlRunner, scope: Pick<Scope, 'orgId'>, id: string, options: ReadOptions = {}): Promise<UserRecord> {
  const user = await findUser(em, scope, id, options);
  if (!user) throw new NotFoundError('User', id);
  return user;
}

export interface UserQuery {
  /** A boolean SQL expression over alias `u`, with `?` placeholders (from a filter translator). */
  where?: { sql: string; params: unknown[] };
  /** ORDER BY expression over alias `u`; `u.id` is always appended so order is total and stable. */
  orderBy?: string;
  limit: number;
  offset?: number;
  /** Keyset pagination: only ids after this one (ordered by id). */
  afterId?: string;
  withGroups?: boolean;
  /** Also count all matches (SCIM totalResults). */
  count?: boolean;
}

/**
 * One statement per page: `page` picks the ids (the OFFSET walks a narrow index,
 * never whole rows), `total` counts the matches, and only the page's rows are
 * read in full and get their groups. A page past the end still returns the total
 * (one row of nulls from the left join). The plain listing reads the org's
 * maintained live-user count instead of counting, and walks from whichever end
 * of the org is nearer.
 */
export async function queryUsers(em: SqlRunner, scope: Pick<Scope, 'orgId'>, query: UserQuery): Promise<{ users: UserRecord[]; total: number }> {
  const where = [`u.org_id = ?`, `u.state <> 'deleted'`];
  const params: unknown[] = [scope.orgId];
  if (query.where) {
    where.push(`(${query.where.sql})`);
    params.push(...query.where.params);
  }
  const matchSql = where.join(' and ');
  const matchParams = [...params];
  if (query.afterId) {
    where.push('u.id > ?');
    params.push(query.afterId);
  }
  const order = query.orderBy ? `${query.orderBy}, u.id` : 'u.id';
  const offset = query.offset ?? 0;
  const ctes: string[] = [];
  const all: unknown[] = [];
  if (query.count && !query.where) {
    // Every live user of the org: the count the database keeps, not a count of the org.
    ctes.push(`total as (${liveUserCountSql})`);
    all.push(scope.orgId);
  } else if (query.count) {
    ctes.push(`total as (select count(*)::int as n from users u where ${matchSql})`);
    all.push(...matchParams);
  }
  const ids = `select u.id from users u where ${where.join(' and ')}`;
  if (query.count && !query.where && !query.orderBy && !query.afterId) {
    // The plain listing by startIndex: knowing the total, a page in the second half is read
    // walking from the end, so the last page costs what the first does (the middle is the deepest).
    ctes.push(`page as (
       select f.id from (${ids} order by u.id limit ? offset ?) f where ?::bigint * 2 <= (select n from total)
       union all
       select b.id from (${ids} order by u.id desc
         limit least(?::bigint, greatest((select n from total) - ?::bigint, 0)) offset greatest((select n from total) - ?::bigint - ?::bigint, 0)) b
       where ?::bigint * 2 > (select n from total))`);
    all.push(...params, query.limit, offset, offset, ...params, query.limit, offset, offset, query.limit, offset);
  } else {
    ctes.push(`page as (${ids} order by ${order} limit ? offset ?)`);
    all.push(...params, query.limit, offset);
  }
  // Each page row fetched by its key: the planner cannot tell how many ids a page gives (the
  // walk from the end has computed bounds) and would otherwise merge-join the users table from its start.
  const pageRows = 'page cross join lateral (select * from users x where x.id = page.id offset 0) u';
  // The plain listing (no filter, no sort: an IdP's import walking every page) is one
  // fixed statement whose plan does not hinge on the values: prepared, PostgreSQL plans it
  // once per connection instead of on every page (its CTEs and groups sub-select made
  // planning a visible share of a page). Filters vary in shape and selectivity: planned each time.
  const rows = await executeHot(
    em,
    `with ${ctes.join(', ')}
     select ${query.count ? 'total.n as total_count, ' : ''}${userColumnsSql}${query.withGroups ? `, ${userGroupsSql}` : ''}
     from ${query.count ? `total left join (${pageRows}) on true` : pageRows}
     order by ${order}`,
    all,
    { prepare: !query.where && !query.orderBy },
  );
  const users = rows.filter((row) => row.id !== null && row.id !== undefined).map(rowToUser);
  const total = query.count ? Number(rows[0]?.total_count ?? 0) : users.length;
  return { users, total };
}
