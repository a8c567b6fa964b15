import type { z } from 'zod';
import { ValidationError } from '../directory/errors.ts';

/**
 * CONVENTIONS 5: bodies, queries and params become typed input before a handler
 * runs. A zod failure becomes one ValidationError naming every bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...base, key].join('.'), reason: 'is not a recognised field' }));
    }
    return [{ field: base.length ? base.join('.') : where, reason: issue.message }];
  });
  throw new ValidationError(problems);
}
