import express, { type RequestHandler } from 'express';
import { wellFormedBody } from './text-input.ts';

/**
 * The form-urlencoded body parser of the routes that read forms (sign-in, second factor,
 * invitations), followed by the check every parsed body gets (http/text-input.ts).
 */
export function formParser(options: { limit: string; parameterLimit?: number }): RequestHandler {
  const parse = express.urlencoded({ extended: false, ...options });
  return (req, res, next) => parse(req, res, (error?: unknown) => (error ? next(error) : wellFormedBody(req, res, next)));
}
