import type { NextFunction, Request, Response } from 'express';
import { RateLimitedError } from '../../directory/errors.ts';
import type { RateLimiter } from '../../lib/rate-limit.ts';
import { messagePage } from '../pages/layout.ts';

export function isForm(req: Request): boolean {
  return Boolean(req.is('application/x-www-form-urlencoded'));
}

export function html(res: Response, status: number, page: string): void {
  res.status(status).type('html').send(page);
}

/**
 * Refuses cross-site form posts (login CSRF: browsers send Origin on POST;
 * scripts send none and pass) and throttles per client IP.
 */
export function sameOriginAndThrottled(publicOrigin: string, limiter: RateLimiter) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if ((origin && origin !== publicOrigin) || req.get('sec-fetch-site') === 'cross-site') {
      if (isForm(req)) return html(res, 403, messagePage('Request refused', ['This form must be sent from the Gatehouse page itself.']));
      return res.status(403).json({ error: { code: 'cross_origin', message: 'Cross-site form posts are refused', details: {} } });
    }
    const wait = limiter.take(`ip:${req.ip ?? 'unknown'}`);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      if (isForm(req)) return html(res, 429, messagePage('Too many attempts', [`Wait ${wait} seconds, then try again.`]));
      return next(new RateLimitedError(wait));
    }
    next();
  };
}
