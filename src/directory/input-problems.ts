import type { z } from 'zod';
import type { FieldProblem } from './errors.ts';

/**
 * A zod failure as the field problems of a ValidationError (CONVENTIONS 5:
 * bad input names the field and the reason). Paths join with dots
 * (`passwordPolicy.minLength`, `roles.1`); each unknown key is its own problem.
 * Shared by the HTTP edge (http/validate.ts) and domain validators that use zod.
 */
export function zodProblems(error: z.ZodError, where: string, unknownKeyReason = 'is not a recognised field'): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...base, key].join('.'), reason: unknownKeyReason }));
    }
    return [{ field: base.length ? base.join('.') : where, reason: issue.message }];
  });
}
