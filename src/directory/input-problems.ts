import type { z } from 'zod';
import type { FieldProblem } from './errors.ts';

/**
 * A zod failure as the field problems of a ValidationError (CONVENTIONS 5:
 * bad input names the field and the reason). Paths join with dots
 * (`passwordPolicy.minLength`, `roles.1`); each unknown key is its own problem.
 * Shared by the HTTP edge (http/validate.ts) and domain validators that use zod.
 */
export function zodProblems(error: z.ZodError, where: string, unknownKeyReason = 'is not a recognised field', input?: unknown): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...base, key].join('.'), reason: unknownKeyReason }));
    }
    // A field left out is "required", not told what a value would have to be (the rule is for a value given).
    const missing = input !== undefined && base.length > 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value') && isAbsent(input, issue.path);
    return [{ field: base.length ? base.join('.') : where, reason: missing ? 'is required' : issue.message }];
  });
}

/** Whether the object key at `path` is not there at all (its parent is an object without it). */
function isAbsent(input: unknown, path: readonly PropertyKey[]): boolean {
  let node: unknown = input;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) && !Object.hasOwn(node, path[path.length - 1]!);
}
