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
 * Whether a browser says this request came from another site. Sec-Fetch-Site,
 * which pages cannot forge, decides when present (`Origin` may be `null` on a
 * same-origin form post under a strict referrer policy); otherwise Origin does.
 * Scripts send neither and pass.
 */
export function fromAnotherSite(req: Request, publicOrigin: string): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = req.get('origin');
  return Boolean(origin && origin !== publicOrigin);
}

/**
 * Refuses a post another site made a browser send: login CSRF on the sign-in
 * forms, logout CSRF on sign-out. A form gets a page, anything else 403 cross_origin.
 */
export function sameOrigin(publicOrigin: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!fromAnotherSite(req, publicOrigin)) return next();
    if (isForm(req)) return html(res, 403, messagePage('Request refused', ['This form must be sent from the Gatehouse page itself.']));
    res.status(403).json({ error: { code: 'cross_origin', message: 'Cross-site form posts are refused', details: { requestId: req.ctx.requestId } } });
  };
}

/** Refuses cross-site form posts (login CSRF) and throttles per client IP. */
export function sameOriginAndThrottled(publicOrigin: string, limiter: RateLimiter) {
  const refuseOtherSites = sameOrigin(publicOrigin);
  return (req: Request, res: Response, next: NextFunction) => refuseOtherSites(req, res, () => {
    const wait = limiter.take(`ip:${req.ctx.ip ?? 'unknown'}`);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      if (isForm(req)) return html(res, 429, messagePage('Too many attempts', [`Wait ${wait} seconds, then try again.`]));
      return next(new RateLimitedError(wait));
    }
    next();
  });
}
