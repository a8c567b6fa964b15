/**
 * Evaluates a value filter (the `[…]` of a PATCH path, RFC 7644 §3.5.2) against one element of a
 * multi-valued attribute. scim2-parse-filter's own `filter()` folds case for every string; here
 * strings compare case-insensitively only where the sub-attribute says caseExact: false
 * (RFC 7644 §3.4.2.2), and unknown sub-attributes compare case-insensitively.
 */
import type { FilterAst } from '../filter/ast.ts';
import { numberAsText } from '../filter/leaf.ts';
import type { AttributeDef } from '../schema/types.ts';
import { entraBooleanLiteral } from '../vendor-quirks.ts';
import { findAttr } from './path.ts';
import { getKey, type Json } from './json.ts';

type Comparable = string | number | boolean | null;

export function matches(filter: FilterAst, element: unknown, subs: AttributeDef[] | undefined): boolean {
  const el: Json = typeof element === 'object' && element !== null && !Array.isArray(element) ? (element as Json) : { value: element };
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matches(f, el, subs));
    case 'or':
      return filter.filters.some((f) => matches(f, el, subs));
    case 'not':
      return !matches(filter.filter, el, subs);
    case '[]':
      return false; // cannot parse: the path's first "]" closes the filter, so no value path nests
    case 'pr': {
      const v = getKey(el, filter.attrPath);
      return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
    }
    default: {
      const def = findAttr(subs, filter.attrPath);
      const expected = def ? entraBooleanLiteral(def, numberAsText(def, filter.compValue, filter.raw)) : filter.compValue;
      return compare(filter.op, getKey(el, filter.attrPath), expected, def);
    }
  }
}

function fold(v: unknown, def: AttributeDef | undefined): unknown {
  return typeof v === 'string' && !def?.caseExact ? v.toLowerCase() : v;
}

function compare(op: string, actual: unknown, expected: Comparable, def: AttributeDef | undefined): boolean {
  if (op === 'ne') return !compare('eq', actual, expected, def);
  const a = fold(actual, def);
  const e = fold(expected, def);
  if (op === 'eq') return expected === null ? actual === undefined || actual === null : a === e;
  if (typeof a === 'string' && typeof e === 'string') {
    if (op === 'co') return a.includes(e);
    if (op === 'sw') return a.startsWith(e);
    if (op === 'ew') return a.endsWith(e);
  }
  // RFC 7644 §3.4.2.2: gt/ge/lt/le apply to strings, numbers and dateTimes, not booleans.
  if (typeof a === typeof e && (typeof a === 'string' || typeof a === 'number')) {
    const [x, y] = def?.type === 'dateTime' ? [Date.parse(a as string), Date.parse(e as string)] : [a as string | number, e as string | number];
    if (op === 'gt') return x > y;
    if (op === 'ge') return x >= y;
    if (op === 'lt') return x < y;
    if (op === 'le') return x <= y;
  }
  return false;
}
