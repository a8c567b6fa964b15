import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../directory/errors.ts';
import { zodProblems } from '../directory/input-problems.ts';

/**
 * CONVENTIONS 5: bodies, queries and params become typed input before a handler
 * runs. A zod failure becomes one ValidationError naming every bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' = 'body'): z.infer<S> {
  const result = where === 'body' ? schema.safeParse(input ?? {}) : schema.safeParse(blankNumbersAsNaN(schema, input ?? {}), { error: urlNumberRule });
  if (result.success) return result.data;
  const problems = zodProblems(result.error, where, undefined, input ?? {});
  throw new ValidationError(problems);
}

/**
 * `?limit=` is a number given empty, not an absent one: zod's coercion (`Number('')`) would read it as 0 —
 * a silent first-or-zero page, or a "must be at least 1" that hides the rule. Each blank value of a number
 * parameter goes to zod as NaN instead, so it gets the answer `?limit=abc` gets: the parameter's whole rule.
 */
function blankNumbersAsNaN(schema: z.ZodType, input: unknown): unknown {
  if (!(schema instanceof z.ZodObject) || typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const shape = schema.shape as Record<string, z.ZodType>;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === 'string' && value.trim() === '' && Object.hasOwn(shape, key) && unwrapped(shape[key]!) instanceof z.ZodNumber) out[key] = Number.NaN;
  }
  return out;
}

function unwrapped(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable || inner instanceof z.ZodPrefault) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

/**
 * A number in the query string or path (`?limit=abc`, `?cursor=-1`) that breaks a rule its route gave
 * no wording for — above all, one that is not a number, where zod says "expected number, received NaN"
 * — is told the number's whole rule, from the schema's own bounds: "must be a whole number between 1
 * and 200". One place for every route; a route's own message for a rule still wins (zod: schema-level
 * messages before this per-parse map).
 */
function urlNumberRule(issue: z.core.$ZodRawIssue): string | undefined {
  const schema = issue.schema ?? issue.inst;
  return schema instanceof z.ZodNumber ? numberRule(schema) : undefined;
}

function numberRule(schema: z.ZodNumber): string {
  const kind = schema.isInt ? 'a whole number' : 'a number';
  // An int() schema carries the safe-integer range as its bounds when no narrower one is given.
  const min = schema.minValue !== null && schema.minValue > Number.MIN_SAFE_INTEGER ? schema.minValue : null;
  const max = schema.maxValue !== null && schema.maxValue < Number.MAX_SAFE_INTEGER ? schema.maxValue : null;
  if (min !== null && max !== null) return `must be ${kind} between ${min} and ${max}`;
  if (min !== null) return `must be ${kind}, ${min} or more`;
  if (max !== null) return `must be ${kind}, ${max} or less`;
  return `must be ${kind}`;
}

/**
 * A body of optional fields, parsed field by field: the fields that pass, and a problem for each
 * that does not. A route whose domain has rules of its own (saml.ts) judges the passing fields
 * too, so one answer names every problem instead of the types first and the rest on the next try.
 * A body that is not an object at all is refused as parseInput would refuse it.
 */
export function parseFieldsPartly<S extends z.ZodObject>(schema: S, input: unknown): { value: z.infer<S>; problems: FieldProblem[] } {
  const body = input ?? {};
  const result = schema.safeParse(body);
  if (result.success) return { value: result.data, problems: [] };
  const problems = zodProblems(result.error, 'body', undefined, body);
  if (typeof body !== 'object' || Array.isArray(body) || problems.some((p) => p.field === 'body')) throw new ValidationError(problems);
  const bad = new Set(problems.map((p) => p.field.split('.')[0]!));
  const rest = schema.safeParse(Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([key]) => !bad.has(key))));
  if (!rest.success) throw new ValidationError(problems);
  return { value: rest.data, problems };
}
