import { Router } from 'express';
import type { Container } from '../../../container.ts';
import { landingAfterSignIn } from '../../../lib/landing.ts';
import { sessionOf } from '../../session.ts';
import { queryString } from '../html.ts';

/**
 * /console/login: someone already signed in goes straight on; everyone else
 * gets the one sign-in page (/auth/password/login), which carries `next` along.
 */
export function loginRoutes(container: Container): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const next = landingAfterSignIn(req.query.next);
    if (await sessionOf(container, req)) return res.redirect(303, next);
    res.redirect(303, `/auth/password/login${queryString({ next, signedOut: req.query.signedOut === '1' ? '1' : undefined, expired: req.query.expired === '1' ? '1' : undefined })}`);
  });
  return router;
}
