import express, { type Request, type Response } from 'express';
import pg from 'pg';
import { sha256Hex } from '../../src/lib/tokens.ts';
import { uuidv7, isUuid } from '../../src/lib/ids.ts';

/**
 * The bare baseline the SCIM issue measures Gatehouse against: Express 5 + pg, no ORM,
 * no validation layer, no audit. Each request is exactly one SQL statement, the bearer
 * token check included: `auth` is a CTE, and `select auth.org_id, r.* from auth left join r`
 * tells "bad token" (no row) from "not found" (a row of nulls) in the same round trip.
 * Env: PORT, DATABASE_URL, POOL_MAX (default 10, Gatehouse's default).
 */

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const MAX_COUNT = 1000;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 10) });
const AUTH = `auth as (select org_id from api_tokens where token_hash = $1 and scope = 'scim' and revoked_at is null)`;
const COLUMNS = `id, user_name, external_id, given_name, family_name, display_name, emails, state, version, created_at, updated_at`;

type Row = Record<string, unknown> & { org_id: string | null; id: string | null };

function tokenHash(req: Request): string | undefined {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? sha256Hex(header.slice(7)) : undefined;
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/scim+json').send(JSON.stringify(body));
}

function fail(res: Response, status: number, detail: string, scimType?: string): void {
  send(res, status, { schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

function toUser(row: Row, base: string): Record<string, unknown> {
  const created = row.created_at as Date;
  const updated = row.updated_at as Date;
  return {
    schemas: [USER],
    id: row.id,
    externalId: row.external_id ?? undefined,
    userName: row.user_name,
    name: { givenName: row.given_name ?? undefined, familyName: row.family_name ?? undefined },
    displayName: row.display_name ?? undefined,
    emails: row.emails,
    active: row.state === 'active',
    meta: {
      resourceType: 'User',
      created: created.toISOString(),
      lastModified: updated.toISOString(),
      location: `${base}/Users/${String(row.id)}`,
      version: `W/"${String(row.version)}"`,
    },
  };
}

/** Runs one statement; answers 401 itself when the token matched no row. */
async function run(req: Request, res: Response, sql: string, params: unknown[]): Promise<Row[] | undefined> {
  const hash = tokenHash(req);
  if (!hash) return fail(res, 401, 'Bearer token required'), undefined;
  const { rows } = await pool.query<Row>(sql, [hash, ...params]);
  if (rows.length === 0 || !rows[0]!.org_id) return fail(res, 401, 'Invalid token'), undefined;
  return rows;
}

function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}/scim/v2`;
}

const app = express();
app.disable('x-powered-by');
app.set('query parser', 'simple');
app.use(express.json({ type: ['application/json', 'application/scim+json'] }));

app.get('/healthz', (_req, res) => void res.send('ok'));

app.get('/scim/v2/Users', async (req, res) => {
  const q = req.query as Record<string, string | undefined>;
  const count = Math.min(Math.max(Number(q.count ?? 100) || 0, 0), MAX_COUNT);
  const base = baseUrl(req);
  if (q.filter !== undefined) {
    // Only what the benchmark sends: userName eq "…" (the baseline is not a filter engine).
    const match = /^userName eq "([^"]*)"$/i.exec(q.filter);
    if (!match) return fail(res, 400, 'Only userName eq "…" is supported', 'invalidFilter');
    const rows = await run(req, res,
      // A deleted user is no match (and frees their userName): the unique index on lower(user_name) covers live users only.
      `with ${AUTH}, r as (select ${COLUMNS} from users where org_id = (select org_id from auth) and lower(user_name) = lower($2) and state <> 'deleted')
       select auth.org_id, r.* from auth left join r on true`, [match[1]]);
    if (!rows) return;
    const found = rows.filter((r) => r.id);
    return send(res, 200, { schemas: [LIST], totalResults: found.length, itemsPerPage: found.length, startIndex: 1,
      Resources: found.map((r) => toUser(r, base)) });
  }
  const total = `(select count(*) from users where org_id = (select org_id from auth))::int as total`;
  if (q.cursor !== undefined) {
    // IETF SCIM cursor pagination draft: `cursor` empty on the first page; nextCursor is the last id seen.
    if (q.cursor !== '' && !isUuid(q.cursor)) return fail(res, 400, 'Invalid cursor', 'invalidCursor');
    // Two statements, not `$2 is null or id > $2`: the OR would defeat the (org_id, id) index range scan.
    const after = q.cursor ? `and id > $2::uuid` : `and $2::text is null`;
    const rows = await run(req, res,
      `with ${AUTH}, r as (select ${COLUMNS} from users where org_id = (select org_id from auth)
         ${after} order by id limit $3)
       select auth.org_id, ${total}, r.* from auth left join r on true`, [q.cursor || null, count + 1]);
    if (!rows) return;
    const found = rows.filter((r) => r.id);
    const page = found.slice(0, count);
    return send(res, 200, { schemas: [LIST], totalResults: rows[0]!.total, itemsPerPage: page.length,
      ...(found.length > count ? { nextCursor: page[page.length - 1]!.id } : {}),
      Resources: page.map((r) => toUser(r, base)) });
  }
  const startIndex = Math.max(Number(q.startIndex ?? 1) || 1, 1);
  const rows = await run(req, res,
    `with ${AUTH}, r as (select ${COLUMNS} from users where org_id = (select org_id from auth)
       order by id offset $2 limit $3)
     select auth.org_id, ${total}, r.* from auth left join r on true`, [startIndex - 1, count]);
  if (!rows) return;
  const page = rows.filter((r) => r.id);
  send(res, 200, { schemas: [LIST], totalResults: rows[0]!.total, itemsPerPage: page.length, startIndex,
    Resources: page.map((r) => toUser(r, base)) });
});

app.get('/scim/v2/Users/:id', async (req, res) => {
  if (!isUuid(req.params.id)) return fail(res, 404, 'User not found');
  const rows = await run(req, res,
    `with ${AUTH}, r as (select ${COLUMNS} from users where org_id = (select org_id from auth) and id = $2)
     select auth.org_id, r.* from auth left join r on true`, [req.params.id]);
  if (!rows) return;
  if (!rows[0]!.id) return fail(res, 404, 'User not found');
  send(res, 200, toUser(rows[0]!, baseUrl(req)));
});

app.post('/scim/v2/Users', async (req, res) => {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const name = (body.name ?? {}) as Record<string, unknown>;
  const emails = Array.isArray(body.emails) ? (body.emails as Array<Record<string, unknown>>) : [];
  if (typeof body.userName !== 'string' || !body.userName) return fail(res, 400, 'userName is required', 'invalidValue');
  const primary = emails.find((e) => e.primary) ?? emails[0];
  try {
    const rows = await run(req, res,
      `with ${AUTH}, r as (insert into users (id, org_id, user_name, external_id, given_name, family_name, display_name,
         email, emails, state, source, scim_attributes, version, created_at, updated_at)
       select $2, org_id, $3, $4, $5, $6, $7, $8, $9, $10, 'scim', $11, 1, now(), now() from auth
       returning ${COLUMNS})
       select auth.org_id, r.* from auth left join r on true`,
      [uuidv7(), body.userName, body.externalId ?? null, name.givenName ?? null, name.familyName ?? null,
        body.displayName ?? null, primary?.value ?? null, JSON.stringify(emails),
        body.active === false ? 'disabled' : 'active', JSON.stringify(body)]);
    if (rows) send(res, 201, toUser(rows[0]!, baseUrl(req)));
  } catch (error) {
    if ((error as { code?: string }).code === '23505') return fail(res, 409, 'userName is already taken', 'uniqueness');
    throw error;
  }
});

/** PATCH: the `active` operations IdPs send (path form and value-object form); anything else is refused. */
function activeFrom(body: unknown): boolean | undefined {
  const ops = (body as { Operations?: Array<Record<string, unknown>> } | undefined)?.Operations;
  if (!Array.isArray(ops) || ops.length !== 1) return undefined;
  const op = ops[0]!;
  if (String(op.op).toLowerCase() !== 'replace') return undefined;
  const value = op.path === 'active' ? op.value : (op.value as Record<string, unknown> | undefined)?.active;
  return typeof value === 'boolean' ? value : undefined;
}

app.patch('/scim/v2/Users/:id', async (req, res) => {
  const active = activeFrom(req.body);
  if (active === undefined) return fail(res, 400, 'Only replace of active is supported', 'invalidValue');
  if (!isUuid(req.params.id)) return fail(res, 404, 'User not found');
  const rows = await run(req, res,
    `with ${AUTH}, r as (update users set state = $3, disabled_at = case when $3 = 'active' then null else now() end,
       version = version + 1, updated_at = now()
       where org_id = (select org_id from auth) and id = $2 returning ${COLUMNS})
     select auth.org_id, r.* from auth left join r on true`, [req.params.id, active ? 'active' : 'disabled']);
  if (!rows) return;
  if (!rows[0]!.id) return fail(res, 404, 'User not found');
  send(res, 200, toUser(rows[0]!, baseUrl(req)));
});

app.use((_req: Request, res: Response) => fail(res, 404, 'Not found'));
app.use((error: Error, _req: Request, res: Response, _next: express.NextFunction) => {
  console.error(error);
  fail(res, 500, error.message);
});

const server = app.listen(Number(process.env.PORT ?? 0), () => {
  const address = server.address();
  console.log(`baseline listening on ${typeof address === 'object' && address ? address.port : address}`);
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end();
});
