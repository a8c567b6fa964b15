import express, { Router, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { join } from 'node:path';
import type { Container } from '../../container.ts';
import { endSession } from '../session.ts';
import { ApiError, consoleApi } from './api-client.ts';
import { canAny, consolePage } from './layout.ts';
import { query, type ConsoleRoute } from './page.ts';
import { consoleRoutes } from './pages/index.ts';
import { errorPage } from './pages/error.ts';
import { loginRoutes } from './pages/login.ts';
import { accountPasswordPost } from './pages/account-password.ts';
import { passwordChangeGuard } from '../auth/password-change.ts';
import { toLogin, viewerOf } from './viewer.ts';
import { mapError, logMapped } from '../errors.ts';
import { messagePage } from '../pages/layout.ts';
import { formParser } from '../bodies.ts';
import { sameOrigin } from '../auth/guard.ts';

const ASSETS = join(import.meta.dirname, 'assets');

/**
 * What a console URL's :id may be (uuids, token ids, connection names). Pages put
 * params into admin API paths, where a decoded `..` would be a dot segment.
 */
const PARAM = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * A strict policy for every console page: scripts and styles from this origin
 * only, nothing inline, no framing. The sign-in page may submit to the IdP,
 * whose address is not known here (form-action covers redirects after a submit).
 */
function csp(formAction: boolean, https: boolean) {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
      ...(formAction ? { formAction: ["'self'"] } : {}),
      // As app.ts: on https only (on plain http it would send form posts to an https nobody serves).
      ...(https ? { upgradeInsecureRequests: [] } : {}),
    },
  });
}

function mount(router: Router, container: Container, route: ConsoleRoute): void {
  router.get(route.path, async (req, res) => {
    const viewer = await viewerOf(container, req);
    if (!viewer) return toLogin(container, req, res);
    const send = (status: number, title: string, body: Parameters<typeof consolePage>[0]['body']) =>
      res.status(status).type('html').send(consolePage({ title, viewer, active: route.section, body, wide: route.wide ?? false }));
    if (!Object.values(req.params).every((value) => typeof value === 'string' && PARAM.test(value))) {
      return send(404, 'Not found', errorPage(404, 'There is no such page.'));
    }
    if (!canAny(viewer, route.requirement)) {
      const needs = [route.requirement].flat().join(' or ');
      return send(403, 'Not allowed', errorPage(403, `Your role does not include this page (it needs ${needs}). An org admin can grant it.`));
    }
    try {
      const out = await route.render({ req, viewer, api: consoleApi(req, viewer.orgSlug), query: query(req), params: req.params as Record<string, string> });
      send(200, out.title ?? route.title, out.body);
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.status === 401) return toLogin(container, req, res);
        req.ctx.log.debug({ status: error.status, code: error.code }, 'console page: admin API refused');
        return send(error.status, error.status === 404 ? 'Not found' : 'Something is not right', errorPage(error.status, error.message));
      }
      const mapped = mapError(error);
      logMapped(req, mapped, error);
      send(mapped.status, 'Something went wrong', errorPage(mapped.status, mapped.status >= 500 ? 'The page could not be shown. Try again in a moment.' : mapped.message));
    }
  });
}

/** The admin console at /console: server-rendered pages over the admin API, enhanced by one script. */
export function consoleRouter(container: Container): Router {
  const router = Router();
  // fallthrough: an unknown or refused asset path falls to the app's 404, never a send() error (500).
  router.use('/assets', express.static(ASSETS, { index: false, maxAge: '1h', redirect: false }));
  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  const https = container.config.publicUrl.startsWith('https:');
  router.use('/login', csp(false, https), loginRoutes(container));
  router.use(csp(true, https));
  router.post('/logout', sameOrigin(new URL(container.config.publicUrl).origin), formParser({ limit: '1kb' }), async (req, res) => {
    await endSession(container, req, res);
    res.redirect(303, '/console/login?signedOut=1');
  });
  router.get('/', (_req, res) => res.redirect(303, '/console/users'));
  router.post('/account/password', formParser({ limit: '16kb', parameterLimit: 10 }), passwordChangeGuard(container), accountPasswordPost(container));
  for (const route of consoleRoutes) mount(router, container, route);
  // Any other page is the console's own 404 page, not the API's JSON answer: with the navigation for
  // someone signed in, a plain one (and a way in) for anyone else — never a sign-in detour to nowhere.
  router.get('/{*rest}', async (req, res, next) => {
    if (req.path.startsWith('/assets/')) return next();
    const viewer = await viewerOf(container, req);
    const page = viewer
      ? consolePage({ title: 'Not found', viewer, active: '', body: errorPage(404, 'There is no such page.') })
      : messagePage('Not found', ['There is no such page.'], { href: '/console', text: 'Go to the console' });
    res.status(404).type('html').send(page);
  });
  return router;
}

/**
 * Errors raised before the console's router runs (a query string refused by
 * http/text-input.ts, a body that could not be read): a readable page, not the
 * admin API's JSON. Mounted by the app right after the router.
 */
export function consoleErrorPage(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  const mapped = mapError(error);
  logMapped(req, mapped, error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const failed = mapped.status >= 500;
  const page = messagePage(failed ? 'Something went wrong' : 'Something is not right', [failed ? 'The page could not be shown. Try again in a moment.' : mapped.message], { href: '/console/users', text: 'Back to users' });
  res.status(mapped.status).setHeader('Cache-Control', 'no-store').type('html').send(page);
}
