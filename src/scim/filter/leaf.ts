import { managerSql } from '../../directory/user-record.ts';
import type { AttributeDef, Storage } from '../schema/types.ts';
import { entraBooleanLiteral } from '../vendor-quirks.ts';

/**
 * One comparison on one stored scalar (RFC 7644 §3.4.2.2, table 3), as a SQL boolean with `?`
 * placeholders. Only the builders here decide how a SCIM type compares in SQL.
 */
export class FilterError extends Error {}

export type Op = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le' | 'pr';
export type Literal = string | number | boolean | null;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 7643 §2.3.5: xsd:dateTime; a date alone is accepted as its midnight UTC.
const dateTimePattern = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const sqlOps: Partial<Record<Op, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };
// Users SCIM calls active (see schema/user.ts); 'deleted' rows never reach a filter.
const activeStates = `('active', 'invited')`;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** `%`, `_` and the escape character itself are literal in a SCIM co/sw/ew value. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function not(sql: string): string {
  // SQL's NULL would make `not` drop rows whose attribute is absent; SCIM wants them kept.
  return `not coalesce(${sql}, false)`;
}

function describeType(a: AttributeDef): string {
  return a.type === 'dateTime' ? 'a dateTime' : a.type === 'integer' ? 'an integer' : `a ${a.type}`;
}

function describeValue(value: Literal): string {
  return typeof value === 'string' ? `string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

const allowedOps: Record<AttributeDef['type'], readonly Op[]> = {
  string: ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr'],
  reference: ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr'],
  boolean: ['eq', 'ne', 'pr'],
  // RFC 7644 §3.4.2.2: ordering comparisons on binary attributes are refused; equality on base64 is pointless.
  binary: ['pr'],
  decimal: ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'pr'],
  integer: ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'pr'],
  dateTime: ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'pr'],
  complex: ['pr'],
};

/**
 * Entra sends values unquoted (IDP-NOTES §1.3: `externalId eq jyoung`), ids that look like numbers
 * included (`externalId eq 12345`), and a 400 there fails its provisioning job. On a string
 * attribute a number literal therefore means the text it was written as (`raw`): `007` stays
 * "007", `1e3` stays "1e3". Numbers on other attributes stay numbers.
 */
export function numberAsText(a: AttributeDef, value: Literal, raw: string | undefined): Literal {
  return typeof value === 'number' && raw !== undefined && (a.type === 'string' || a.type === 'reference') ? raw : value;
}

/**
 * The literal a comparison uses: numberAsText, entraBooleanLiteral ("True" on a boolean, as in
 * PATCH value filters), and for `eq|ne` on a writable attribute the server
 * keeps unique (a user's userName, a group's displayName) the text trimmed, as it is stored
 * (users.ts, groups.ts): Okta and Entra look a user or group up with the value exactly as they
 * then create it, and " ann@x " must find the "ann@x" that create would clash with (409).
 */
export function filterLiteral(a: AttributeDef, op: string, value: Literal, raw: string | undefined, parent?: AttributeDef): Literal {
  const literal = entraBooleanLiteral(a, numberAsText(a, value, raw));
  const storedTrimmed = !parent && a.uniqueness === 'server' && a.mutability !== 'readOnly';
  return storedTrimmed && (op === 'eq' || op === 'ne') && typeof literal === 'string' ? literal.trim() : literal;
}

/** Refuses an operator or literal the attribute's type does not support, naming both. */
export function checkOperand(path: string, a: AttributeDef, op: Op, value: Literal): void {
  if (!allowedOps[a.type].includes(op)) {
    throw new FilterError(`Operator '${op}' cannot be applied to '${path}', which is ${describeType(a)} attribute`);
  }
  if (op === 'pr') return;
  if (value === null) {
    if (op === 'eq' || op === 'ne') return;
    throw new FilterError(`Operator '${op}' cannot compare '${path}' with null`);
  }
  const expected =
    a.type === 'boolean' ? 'boolean' : a.type === 'decimal' || a.type === 'integer' ? 'number' : 'string';
  if (typeof value !== expected || (a.type === 'integer' && !Number.isInteger(value))) {
    throw new FilterError(`'${path}' is ${describeType(a)} attribute; the filter compares it with ${describeValue(value)}`);
  }
  if (a.type === 'dateTime' && (!dateTimePattern.test(value as string) || Number.isNaN(Date.parse(value as string)))) {
    throw new FilterError(`'${path}' is a dateTime attribute; ${JSON.stringify(value)} is not an RFC 3339 date-time`);
  }
}

/** Where a scalar lives, as SQL: `expr` yields text for json keys, the column's own type otherwise. */
export interface Place {
  expr: string;
  /** The jsonb value (not its text), for typed comparisons of json numbers. */
  json?: string;
  uuid?: boolean;
  state?: boolean;
  /**
   * A SQL boolean the value exists under (the manager's id is shown only while the manager is):
   * tests of the value hold only when it does. It stays a condition of its own, beside the
   * comparison, so that PostgreSQL tests the cheap comparison first and only matching rows pay
   * for the lookup.
   */
  shownIf?: string;
}

export function place(storage: Storage, alias: string): Place {
  switch (storage.kind) {
    case 'column':
      return { expr: `${alias}.${storage.column}`, ...(storage.uuid ? { uuid: true } : {}) };
    case 'jsonPath': {
      const keys = storage.path.map(quoteKey);
      const json = `${alias}.${storage.column}->${keys.join('->')}`;
      return { expr: `(${alias}.${storage.column}${keys.slice(0, -1).map((k) => `->${k}`).join('')}->>${keys.at(-1)})`, json };
    }
    case 'element':
      return { expr: `(${alias}.v->>${quoteKey(storage.key)})`, json: `${alias}.v->${quoteKey(storage.key)}` };
    case 'state':
      return { expr: `${alias}.state`, state: true };
    case 'manager':
      // The stored id, or the manager's displayName, while the manager is one reads show.
      return storage.key === 'value'
        ? { expr: `${alias}.manager_id`, shownIf: `exists ${managerSql(alias, '1')}` }
        : { expr: managerSql(alias, 'mgr.display_name') };
    default:
      throw new Error(`storage ${storage.kind} is not a scalar`);
  }
}

/** Registry keys are identifiers; quoting guards the SQL all the same. */
export function quoteKey(key: string): string {
  return `'${key.replaceAll("'", "''")}'`;
}

/** Builds the SQL for `path op value`; `push` adds a parameter and returns its placeholder. */
export function compare(a: AttributeDef, at: Place, op: Op, value: Literal, push: (v: unknown) => string): string {
  if (op === 'ne') return not(compare(a, at, 'eq', value, push));
  const test = compareValue(a, at, op, value, push);
  if (!at.shownIf) return test;
  // `eq null` also holds for a value that is not shown; every other test needs it shown.
  return op !== 'pr' && value === null ? `(${test} or not ${at.shownIf})` : `(${test} and ${at.shownIf})`;
}

/** A value shown only under a condition (Place.shownIf), as an expression: null when it is not. */
export function shownExpr(at: Place): string {
  return at.shownIf ? `(case when ${at.shownIf} then ${at.expr} end)` : at.expr;
}

function compareValue(a: AttributeDef, at: Place, op: Op, value: Literal, push: (v: unknown) => string): string {
  if (at.state) return compareState(at.expr, op, value);
  const x = a.type === 'decimal' || a.type === 'integer' ? numeric(at) : a.type === 'dateTime' ? instant(at) : at.expr;
  if (op === 'pr') {
    // RFC 7644 §3.4.2.2: an empty string is no value.
    const text = (a.type === 'string' || a.type === 'reference') && !at.uuid;
    return text ? `(${x} is not null and ${x} <> '')` : `${x} is not null`;
  }
  if (value === null) return `${x} is null`;
  if (a.type === 'boolean') return `${x} = ${push(at.json ? String(value) : value)}`;
  if (a.type === 'dateTime') return `${x} ${sqlOps[op] ?? '='} ${push(toInstant(value as string))}`;
  if (typeof value === 'number') return `${x} ${sqlOps[op] ?? '='} ${push(value)}`;
  const text = value as string;
  if (at.uuid && op === 'eq') {
    // A uuid column compared with a non-uuid would make PostgreSQL throw; it matches nothing.
    return isUuid(text) ? `${x} = ${push(text.toLowerCase())}` : 'false';
  }
  const column = at.uuid ? `${x}::text` : x;
  const left = a.caseExact ? column : `lower(${column})`;
  const param = (v: string) => (a.caseExact ? push(v) : `lower(${push(v)})`);
  switch (op) {
    case 'eq':
      return `${left} = ${param(text)}`;
    case 'co':
      // LIKE's default escape character in PostgreSQL is the backslash escapeLike() uses.
      return `${left} like ${param(`%${escapeLike(text)}%`)}`;
    case 'sw':
      return `${left} like ${param(`${escapeLike(text)}%`)}`;
    case 'ew':
      return `${left} like ${param(`%${escapeLike(text)}`)}`;
    default:
      return `${left} ${sqlOps[op]} ${param(text)}`;
  }
}

/**
 * A dateTime as SCIM shows it. Responses carry milliseconds (toISOString) while PostgreSQL keeps
 * microseconds, so filters and sorting compare at the millisecond: `meta.created eq "<value the
 * server returned>"` finds the resource, and a delta sync's `meta.lastModified gt "<last value
 * seen>"` leaves out the resource it has already seen. (jsonb text is compared as stored.)
 */
export function instant(at: Place): string {
  return at.json ? at.expr : `date_trunc('milliseconds', ${at.expr})`;
}

/** A dateTime without an offset is read as UTC, never as the server's local time; at most milliseconds, as JS dates. */
function toInstant(value: string): string {
  const iso = value.replace(' ', 'T');
  const zoned = !iso.includes('T') || /(?:Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  return new Date(zoned ? iso : `${iso}Z`).toISOString();
}

function numeric(at: Place): string {
  return at.json ? `(case when jsonb_typeof(${at.json}) = 'number' then (${at.expr})::numeric end)` : at.expr;
}

function compareState(state: string, op: Op, value: Literal): string {
  if (op === 'pr') return 'true';
  if (value === null) return 'false';
  return `${state} ${value === true ? 'in' : 'not in'} ${activeStates}`;
}
