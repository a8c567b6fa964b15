import { ScimError } from './errors.ts';
import { parseFilter, type FilterAst } from './filter/parse.ts';
import { unstorableLiteral } from './filter/literals.ts';
import { filterToSql, type SqlFragment } from './filter/sql.ts';
import { sortToSql, type SortOrder } from './filter/sort.ts';
import { splitAttributeList, type Projection } from './projection.ts';
import type { ResourceTypeDef } from './schema/types.ts';
import { isUuid } from '../lib/ids.ts';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const DEFAULT_PAGE_SIZE = 100;
const MAX_START_INDEX = 2 ** 31 - 1;

/** A list request after validation: RFC 7644 §3.4.2 plus cursor pagination (IETF draft-ietf-scim-cursor-pagination). */
export interface ListRequest {
  /** The parsed filter, for handlers that answer some shapes by a key lookup. */
  filter: FilterAst | undefined;
  where: SqlFragment | undefined;
  orderBy: string | undefined;
  startIndex: number;
  count: number;
  /** Cursor mode: the id after which the page starts ('' = first page). */
  cursor: { after: string | undefined } | undefined;
  projection: Projection;
}

/**
 * RFC 7644 §3.4.2.4: startIndex and count are integers. In a query string that is decimal
 * digits with an optional minus (a negative count means 0); Number() alone also took
 * `1e2`, `10.0`, ` 5` and `0x10`, which no IdP sends and which hide a client's bug.
 * A SearchRequest body carries a JSON number, or the same digits as a string.
 */
function integer(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new ScimError(400, `${name} must be an integer in decimal digits, got ${JSON.stringify(value)}`, 'invalidValue');
  return n;
}

/** Cursors are opaque to clients: the last id of the previous page, base64url-encoded. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (cursor === '') return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // The draft names the error for a cursor we did not issue: 400 invalidCursor.
  if (!isUuid(id)) throw new ScimError(400, `The cursor "${cursor}" is not valid`, 'invalidCursor');
  return id;
}

const SEARCH_KEYS = ['schemas', 'filter', 'startIndex', 'count', 'cursor', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes'];

/**
 * A SearchRequest body (RFC 7644 §3.4.3) with its keys in their canonical
 * spelling: they are attribute names of the SearchRequest message, and SCIM
 * attribute names are case-insensitive (RFC 7643 §2.1), so `"Filter"` is the
 * filter (left unread, a search widened to the whole directory). Unknown keys
 * are left out; one key given twice in any case was refused with the raw body
 * (repeated-attributes.ts).
 */
export function searchRequestBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ScimError(400, 'A SearchRequest body must be a JSON object', 'invalidSyntax');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = SEARCH_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    if (name) out[name] = value;
  }
  return out;
}

/**
 * Query parameters (GET) or a SearchRequest body (POST /.search, RFC 7644 §3.4.3),
 * validated: a bad filter is 400 invalidFilter with the parser's detail; `count`
 * is clamped to [0, maxResults]; startIndex below 1 is read as 1 (§3.4.2.4).
 */
export function readListRequest(
  input: Record<string, unknown>,
  type: ResourceTypeDef,
  alias: string,
  maxResults: number,
  options: { unknownAttributes?: 'refuse' | 'absent' } = {},
): ListRequest {
  let where: SqlFragment | undefined;
  let ast: FilterAst | undefined;
  const filter = input.filter;
  if (filter !== undefined && filter !== '') {
    if (typeof filter !== 'string') throw new ScimError(400, 'filter must be a string', 'invalidFilter');
    const parsed = parseFilter(filter);
    if (!parsed.ok) throw new ScimError(400, parsed.detail, 'invalidFilter');
    const unstorable = unstorableLiteral(parsed.value);
    if (unstorable) throw new ScimError(400, unstorable, 'invalidFilter');
    ast = parsed.value;
    const sql = filterToSql(ast, type, { alias, ...(options.unknownAttributes ? { unknownAttributes: options.unknownAttributes } : {}) });
    if (!sql.ok) throw new ScimError(400, sql.detail, 'invalidFilter');
    where = sql.value;
  }
  let orderBy: string | undefined;
  // A sortBy given twice (an array) or as a number was dropped unseen, leaving the list in id order.
  if (input.sortBy !== undefined && input.sortBy !== null && typeof input.sortBy !== 'string') {
    throw new ScimError(400, `sortBy must be one attribute name, got ${JSON.stringify(input.sortBy)}`, 'invalidValue');
  }
  if (typeof input.sortBy === 'string' && input.sortBy) {
    const order = input.sortOrder === undefined ? undefined : String(input.sortOrder);
    if (order !== undefined && order !== 'ascending' && order !== 'descending') {
      throw new ScimError(400, `sortOrder must be "ascending" or "descending", got "${order}"`, 'invalidValue');
    }
    const sort = sortToSql(input.sortBy, order as SortOrder | undefined, type, { alias });
    if (!sort.ok) throw new ScimError(400, sort.detail, 'invalidValue');
    orderBy = sort.value;
  }
  const count = Math.min(Math.max(integer('count', input.count) ?? DEFAULT_PAGE_SIZE, 0), maxResults);
  // Past the last row any startIndex gives an empty page; capping it keeps OFFSET inside
  // PostgreSQL's bigint (startIndex=1e20 was a 500, found by test/http/limits.test.ts).
  const startIndex = Math.min(Math.max(integer('startIndex', input.startIndex) ?? 1, 1), MAX_START_INDEX);
  let cursor: ListRequest['cursor'];
  if (input.cursor !== undefined) {
    if (input.startIndex !== undefined) throw new ScimError(400, 'Use either cursor or startIndex, not both', 'invalidValue');
    if (orderBy) throw new ScimError(400, 'Cursor pagination returns resources in id order; it cannot be combined with sortBy', 'invalidValue');
    cursor = { after: decodeCursor(String(input.cursor)) };
  }
  return {
    filter: ast,
    where,
    orderBy,
    startIndex,
    count,
    cursor,
    projection: {
      attributes: splitAttributeList(input.attributes),
      excludedAttributes: splitAttributeList(input.excludedAttributes),
    },
  };
}

export function listResponse(resources: unknown[], total: number, request: ListRequest, nextCursor: string | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    itemsPerPage: resources.length,
  };
  if (request.cursor) {
    if (nextCursor) body.nextCursor = nextCursor;
  } else {
    body.startIndex = request.startIndex;
  }
  body.Resources = resources;
  return body;
}
