import { fail, ok, type Result } from '../../lib/result.ts';
import { findAttribute, resolvePath } from '../schema/registry.ts';
import type { ResourceTypeDef } from '../schema/types.ts';
import { instant, place, quoteKey, shownExpr } from './leaf.ts';
import { arraySource } from './sql.ts';

export type SortOrder = 'ascending' | 'descending';

/**
 * RFC 7644 §3.4.2.3: `sortBy` and `sortOrder` as an ORDER BY term over `options.alias`, without
 * placeholders. String attributes with caseExact false sort case-insensitively; a multi-valued
 * attribute sorts by its primary value, else its first. PostgreSQL puts NULLs last when
 * ascending and first when descending, which is what §3.4.2.3 asks for missing values.
 * The caller appends its own tie-breaker (the id), so pages stay stable.
 */
export function sortToSql(
  path: string,
  order: SortOrder | undefined,
  resourceType: ResourceTypeDef,
  options: { alias: string },
): Result<string, 'invalidValue'> {
  const resolved = resolvePath(resourceType, path);
  if (!resolved) return fail('invalidValue', `Unknown attribute '${path}' in sortBy`);
  let { attribute, parent } = resolved;
  if (attribute.type === 'complex') {
    const value = findAttribute(attribute.subAttributes, 'value');
    if (!value) return fail('invalidValue', `'${path}' is a complex attribute; sort by one of its sub-attributes`);
    parent = attribute;
    attribute = value;
  }
  if (!attribute.storage || attribute.type === 'binary') return fail('invalidValue', `attribute '${path}' cannot be sorted`);
  const direction = order === 'descending' ? 'desc' : 'asc';
  const ci = (expr: string) =>
    attribute.type === 'string' && !attribute.caseExact ? `lower(${expr})` : expr;
  if (parent?.multiValued) {
    const source = arraySource(parent, options.alias);
    if (!source || attribute.storage.kind !== 'element') {
      return fail('invalidValue', `attribute '${path}' cannot be sorted`);
    }
    const key = quoteKey(attribute.storage.key);
    const first = `(select ${ci(`f_s.v->>${key}`)} from jsonb_array_elements(${source}) with ordinality as f_s(v, n) order by coalesce(f_s.v->>'primary' = 'true', false) desc, f_s.n limit 1)`;
    return ok(`${first} ${direction}`);
  }
  const stored = place(attribute.storage, options.alias);
  const at = { ...stored, expr: shownExpr(stored) };
  // RFC 7643 §4.1.1: active is a boolean; false sorts before true, as booleans do. dateTimes sort
  // at the millisecond filters compare at, so equal shown values fall to the caller's id order.
  const expr = at.state ? `(${at.expr} in ('active', 'invited'))` : attribute.type === 'dateTime' ? instant(at) : ci(at.expr);
  return ok(`${expr} ${direction}`);
}
