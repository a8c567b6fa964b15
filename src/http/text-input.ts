import type { NextFunction, Request, Response } from 'express';
import { ValidationError } from '../directory/errors.ts';
import { findTextProblem, printablePath } from '../lib/text.ts';

/**
 * The refusal of a parsed body or query string holding text PostgreSQL cannot store
 * (lib/text.ts). The field is named as zod names it (http/validate.ts): the dotted path
 * (`name.givenName`, `emails.0.value`, a query parameter's name), or `where` for the root.
 */
export function textInputError(value: unknown, where: 'body' | 'query'): ValidationError | undefined {
  const problem = findTextProblem(value);
  if (!problem) return undefined;
  const field = problem.path.length ? printablePath(problem.path) : where;
  return ValidationError.field(field, problem.reason);
}

/**
 * Mounted by the app right after the JSON body parser, for every surface: the path, the
 * query string and a JSON body. A ValidationError, so the SCIM surface answers 400
 * invalidValue and the others 400 invalid_input, naming the field, before any handler runs.
 */
export function wellFormedRequest(req: Request, _res: Response, next: NextFunction): void {
  // Express decodes path parameters: `/api/orgs/ac%00me` would reach a query as "ac\0me".
  if (/%00/.test(req.path)) return next(ValidationError.field('path', 'must not contain the NUL character (%00)'));
  next(textInputError(req.query, 'query') ?? textInputError(req.body, 'body'));
}

/** The same check for a body a route parses itself (the form posts of /auth and /invitations). */
export function wellFormedBody(req: Request, _res: Response, next: NextFunction): void {
  next(textInputError(req.body, 'body'));
}
