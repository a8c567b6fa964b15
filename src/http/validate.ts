import type { z } from 'zod';
import { ValidationError } from '../directory/errors.ts';
import { zodProblems } from '../directory/input-problems.ts';

/**
 * CONVENTIONS 5: bodies, queries and params become typed input before a handler
 * runs. A zod failure becomes one ValidationError naming every bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = zodProblems(result.error, where, undefined, input ?? {});
  throw new ValidationError(problems);
}
