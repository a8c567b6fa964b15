import express, { type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Container } from './container.ts';
import { requestContext } from './http/context.ts';
import { apiErrorHandler, notFound } from './http/errors.ts';
import { healthRouter } from './http/health.ts';
import { adminRouter } from './http/admin/router.ts';
import { isImportUpload } from './http/admin/imports.ts';
import { openApiHandler } from './http/openapi.ts';
import { misplacedScimPath, scimSurface } from './scim/router.ts';
import { isScimPath, refuseRepeatedAttributes } from './scim/repeated-attributes.ts';
import { isApiPath, repeatedField } from './http/admin/repeated-fields.ts';
import { samlRouter } from './saml/router.ts';
import { sessionRoutes } from './http/session.ts';
import { passwordRoutes } from './http/auth/password.ts';
import { passwordChangeApi } from './http/auth/password-change.ts';
import { ssoDiscoveryRoutes } from './http/auth/sso-discovery.ts';
import { mfaRoutes } from './http/auth/mfa.ts';
import { invitationPages } from './http/invitations.ts';
import { sizeToBytes } from './lib/size.ts';
import { jsonDepthLimit } from './http/json-depth.ts';
import { consoleErrorPage, consoleRouter } from './http/console/router.ts';
import { wellFormedRequest } from './http/text-input.ts';
import { JSON_BODY, jsonParser } from './http/bodies.ts';
import { bodyBudget } from './http/body-budget.ts';

/** `handler` everywhere but on the SCIM surface. */
function outsideScim(handler: RequestHandler): RequestHandler {
  return (req, res, next) => (isScimPath(req.path) ? next() : handler(req, res, next));
}

/** Builds the HTTP application. No I/O happens here: the container already holds open resources. */
export function createApp(container: Container): Express {
  const { config } = container;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // On a plain-http PUBLIC_URL (local use) HSTS and upgrade-insecure-requests would make
  // browsers rewrite the forms' posts to https, which nothing serves.
  const https = config.publicUrl.startsWith('https:');
  app.use(
    helmet({
      strictTransportSecurity: https,
      // Not `no-referrer`: with it browsers send `Origin: null` on form posts, and the sign-in
      // forms' login-CSRF check could not tell our own page from another site. Addresses that
      // carry a token (invitations, resets) still never leave this origin.
      referrerPolicy: { policy: 'same-origin' },
      // No page has inline style any more: styles from this origin only (helmet's default also allows https: and inline).
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null, styleSrc: ["'self'"], frameAncestors: ["'none'"] } },
      // No page is meant to be framed (clickjacking): the legacy header says what frame-ancestors says.
      xFrameOptions: { action: 'deny' },
    }),
  );
  app.use(healthRouter(container));
  app.use(requestContext(container));
  // The body and the path and query checks, for every surface but SCIM: it runs the same ones itself, once
  // its bearer token is accepted (readBody below), so a SCIM request goes through each once.
  app.use(outsideScim(
    jsonParser({
      limit: config.bodyLimit,
      // The CSV upload reads its own body whatever it is labelled (a JSON label there is a 415, not bad JSON).
      type: (req) => !isImportUpload(req as Request) && Boolean((req as Request).is(JSON_BODY.match)),
      verify: (req, _res, raw) => {
        if (isApiPath((req as Request).path)) (req as Request).ctx.repeatedField = repeatedField(raw);
      },
    }, 'bodyLimit'),
  ));
  app.use(outsideScim(jsonDepthLimit(config.bodyMaxDepth)));
  app.use(outsideScim(wellFormedRequest));
  app.use(
    '/scim/v2',
    ...scimSurface({
      clock: container.clock,
      tokenCache: container.tokenCache,
      baseUrl: `${config.publicUrl}/scim/v2`,
      maxResults: config.scim.maxResults,
      maxPayloadSize: sizeToBytes(config.scim.bodyLimit),
      rateLimit: config.scim.rateLimit,
      limits: { maxPatchOperations: config.scim.maxPatchOperations, maxMembersPerRequest: config.scim.maxMembersPerRequest },
      // Room for scim.maxMembersPerRequest members with display names, which BODY_LIMIT's 1 MB is not.
      readBody: [
        // Large bodies wait for, or are refused beyond, scim.bodyBudget bytes in flight across the process.
        bodyBudget(container.scimBodies, sizeToBytes(config.scim.bodyLimit)),
        jsonParser({ limit: config.scim.bodyLimit, type: JSON_BODY.match, verify: (_req, _res, raw) => refuseRepeatedAttributes(raw) },
          'scim.bodyLimit, SCIM_BODY_LIMIT', `send a group's members in several PATCH requests of at most ${config.scim.maxMembersPerRequest} members each`),
        jsonDepthLimit(config.bodyMaxDepth),
        wellFormedRequest,
      ],
      problemsPerOrg: config.scim.problemsPerOrg,
    }),
  );
  app.use(
    '/saml',
    samlRouter({
      publicUrl: config.publicUrl,
      clock: container.clock,
      clockSkewMs: config.saml.clockSkewMs,
      requestTtlMs: config.saml.requestTtlMs,
      acsBodyLimitBytes: sizeToBytes(config.saml.acsBodyLimit),
      failureLimit: config.saml.failureLimit,
      sessions: config.sessions,
      fork: container.fork,
    }),
  );
  app.use(sessionRoutes(container));
  app.use(passwordChangeApi(container));
  app.use('/auth/password', passwordRoutes(container));
  app.use('/auth/sso', ssoDiscoveryRoutes());
  app.use('/auth/mfa', mfaRoutes(container));
  app.use('/invitations', invitationPages(container));
  app.get('/api/openapi.json', openApiHandler(config.publicUrl));
  app.use('/api/orgs/:org', adminRouter(container));
  app.use('/console', consoleRouter(container), consoleErrorPage);
  // The address `npm start` prints is where people first look: the console is what they came for.
  app.get('/', (_req, res) => res.redirect(303, '/console'));
  app.use(misplacedScimPath(`${config.publicUrl}/scim/v2`));
  app.use(notFound);
  app.use(apiErrorHandler(container.readiness));
  return app;
}
