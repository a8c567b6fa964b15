import { jsonEqual } from '../lib/equal.ts';

/**
 * The before/after of a large object field for an audit event's `changes`
 * (raw SCIM attributes): only the top-level keys that differ, a key absent on
 * one side recorded as null. Writers store `{from, to}`; the audit API answers
 * `{before, after}` (audit-queries.ts).
 */
export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): { from: Record<string, unknown>; to: Record<string, unknown> } {
  const from: Record<string, unknown> = {};
  const to: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (jsonEqual(before[key], after[key])) continue;
    from[key] = before[key] ?? null;
    to[key] = after[key] ?? null;
  }
  return { from, to };
}
