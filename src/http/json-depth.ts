import type { NextFunction, Request, Response } from 'express';
import { ValidationError } from '../directory/errors.ts';
import { exceedsDepth } from '../lib/json-depth.ts';

/**
 * Refuses JSON bodies nested deeper than `maxDepth` (config `bodyMaxDepth`) right after
 * express.json(): SCIM resources nest three levels, admin bodies fewer, and every later
 * walker (validation, PATCH, structuredClone) recurses. A ValidationError, so the SCIM
 * surface answers 400 invalidValue and the admin API 400 invalid_input, both naming the limit.
 */
export function jsonDepthLimit(maxDepth: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.body !== null && typeof req.body === 'object' && exceedsDepth(req.body, maxDepth)) {
      return next(ValidationError.field('body', `nests deeper than ${maxDepth} levels (limit bodyMaxDepth)`));
    }
    next();
  };
}
