import { Router, type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import { authenticateBearer, scopeOfToken } from '../directory/tokens.ts';
import { RateLimitedError } from '../directory/errors.ts';
import { findUser } from '../directory/user-queries.ts';
import { findGroup } from '../directory/groups.ts';
import { ScimError, errorBody, mapScimError, type ScimErrorBody } from './errors.ts';
import { isScimProblem, recordScimProblem } from '../directory/scim-problems.ts';
import { RateLimiter } from './rate-limit.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { idParam, ifMatchAny, scope, send, type ScimDeps } from './handlers/context.ts';
import { discoveryHandlers } from './handlers/discovery.ts';
import { userHandlers } from './handlers/users.ts';
import { groupHandlers } from './handlers/groups.ts';
import { rootSearch } from './handlers/root-search.ts';
import { checkRequestLimits } from './request-limits.ts';
import { ACCEPTED_MEDIA_TYPES, checkMediaType } from './media-type.ts';

export type { ScimDeps };

/**
 * /scim/v2 (RFC 7644). The bearer token picks the org; every handler works in
 * that org only. Errors are RFC 7644 §3.12 JSON on every path, 401 included.
 *
 * The request is read (`deps.readBody`: the body, and the path and query checks)
 * only once its token is accepted, so every refusal happens inside the router,
 * with the org known, where the org's admins get it recorded. The app mounts
 * scimErrorHandler after the router for anything raised before it.
 */
export function scimSurface(deps: ScimDeps): [Router, ErrorRequestHandler] {
  const router = Router();
  const limiter = new RateLimiter(deps.rateLimit);

  router.use(async (req: Request, _res: Response, next: NextFunction) => {
    try {
      // Okta's Basic Auth mode sends the token as the password: taken here, never on the admin API.
      const token = await authenticateBearer(req.ctx.sql, req.get('authorization'), 'scim', deps.clock, deps.tokenCache, { basic: true });
      // The org's own limit when an admin set one (read with the token), else the server's.
      const wait = limiter.take(token.orgId, token.scimRateLimit ?? undefined);
      if (wait > 0) throw new RateLimitedError(wait);
      req.ctx.scope = scopeOfToken(token, req.ctx);
      next();
    } catch (error) {
      next(error);
    }
  });

  // Only a client with a token gets its request read: scim.bodyLimit is several megabytes.
  if (deps.readBody?.length) router.use(...deps.readBody);

  // The body's media type, then size limits (PATCH operations, group members), before any handler reads it.
  router.use((req: Request, res: Response, next: NextFunction) => {
    const unsupported = checkMediaType(req.headers);
    // RFC 9110 §12.5.1: Accept in a response names the types a next request may use.
    if (unsupported) res.setHeader('Accept', ACCEPTED_MEDIA_TYPES.join(', '));
    next(unsupported ?? checkRequestLimits(req.method, req.path.split('/')[1] ?? '', req.body, deps.limits));
  });

  const discovery = discoveryHandlers(deps);
  router.get('/ServiceProviderConfig', discovery.serviceProviderConfig);
  // Entra's older clients read this path.
  router.get('/serviceConfiguration', discovery.serviceProviderConfig);
  router.get('/ResourceTypes', discovery.resourceTypes);
  router.get('/ResourceTypes/:id', discovery.resourceType);
  router.get('/Schemas', discovery.schemas);
  router.get('/Schemas/:id', discovery.schema);
  router.post('/.search', rootSearch(deps));
  // RFC 7644 §3.11: a provider without /Me SHOULD answer 501. A SCIM token is an IdP's, not a person's.
  router.all('/Me', () => {
    throw new ScimError(501, '/Me is not implemented: a SCIM token belongs to an identity provider, not to a user (RFC 7644 §3.11)');
  });
  // RFC 7644 §3.7: bulk is optional; ServiceProviderConfig says bulk.supported false.
  router.all('/Bulk', () => {
    throw new ScimError(501, 'Bulk operations are not implemented (ServiceProviderConfig bulk.supported is false): send each operation as its own request');
  });

  // A base URL entered with the resource at its end ("…/scim/v2/Users") gets "/Users" appended again:
  // ids are server-assigned UUIDs, so "/Users/Users" can only be that mistake, never a resource.
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const doubled = DOUBLED_RESOURCE.exec(req.path);
    if (!doubled) return next();
    next(new ScimError(404, `No SCIM endpoint ${req.method} ${req.path}: the SCIM base URL the IdP was given (${BASE_URL_FIELDS}) ends with /${doubled[1]}; remove it`));
  });

  // The same routes for each resource type (RFC 7644 §3.2).
  const resources = [
    ['/Users', userHandlers(deps), ifMatchAny(async (req) => (await findUser(req.ctx.sql, scope(req), idParam(req)))?.version)],
    ['/Groups', groupHandlers(deps), ifMatchAny(async (req) => (await findGroup(req.ctx.em, scope(req), idParam(req)))?.version)],
  ] as const;
  for (const [base, handlers, ifMatch] of resources) {
    router.get(base, handlers.list);
    router.post(base, handlers.create);
    router.post(`${base}/.search`, handlers.search);
    router.get(`${base}/:id`, handlers.get);
    router.put(`${base}/:id`, ifMatch, handlers.replace);
    router.patch(`${base}/:id`, ifMatch, handlers.patch);
    router.delete(`${base}/:id`, ifMatch, handlers.remove);
  }

  router.use(async (req: Request, res: Response) => {
    // RFC 9110 §15.5.6: an endpoint that exists, asked with a method it does not take, is 405 with Allow.
    const allowed = allowedMethods(req.path);
    if (allowed) {
      res.setHeader('Allow', allowed.join(', '));
      const body = errorBody(405, `${req.method} is not allowed on ${req.path}: use ${allowed.filter((m) => m !== 'HEAD').join(', ')}`);
      await noteProblem(req, 405, body);
      send(res, 405, body);
      return;
    }
    // An IdP appends "/Users" to the base URL it was given: one entered with a trailing slash gives "//Users".
    const slash = req.path.startsWith('//') ? `: the SCIM base URL the IdP was given (${BASE_URL_FIELDS}) ends with a slash; remove it` : '';
    const body = errorBody(404, `No SCIM endpoint ${req.method} ${req.path}${slash}`);
    // No endpoint is a wrong URL, not a lookup of a missing id: kept whatever the method.
    await noteProblem(req, 404, body, true);
    send(res, 404, body);
  });

  // A refusal the org's admins should see (directory/scim-problems.ts). Here, after the handler's
  // transaction rolled back, and only on this path: a success never reaches it.
  router.use(async (error: unknown, req: Request, _res: Response, next: NextFunction) => {
    const mapped = mapScimError(error);
    await noteProblem(req, mapped.status, mapped.body);
    next(error);
  });

  /** Records a refusal of an authenticated request; a failure to record is logged, never turned into the answer. */
  async function noteProblem(req: Request, status: number, body: ScimErrorBody, always = false): Promise<void> {
    const scope = req.ctx.scope;
    if (!scope || !(always ? status >= 400 && status < 500 : isScimProblem(req.method, status))) return;
    const refusal = { at: deps.clock.now(), method: req.method, path: req.originalUrl.split('?')[0] ?? '', status, scimType: body.scimType, detail: body.detail };
    try {
      await recordScimProblem(req.ctx.sql, scope, refusal, deps.problemsPerOrg);
    } catch (error) {
      req.ctx.log.warn({ error: (error as Error).message }, 'SCIM refusal could not be recorded for the org\'s admins');
    }
  }

  router.use(scimErrorHandler);

  return [router, scimErrorHandler];
}

/**
 * Error handler for the SCIM surface. Also mounted by the app after the
 * router (scimSurface), so an error raised before it still gets an RFC 7644
 * §3.12 body on /scim/v2 paths.
 */
export function scimErrorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  const mapped = mapScimError(error);
  const log = req.ctx?.log;
  // 501 (/Me, /Bulk) is an answer about the protocol, not a failure of the server.
  // An outage refuses every request of an IdP's push: one short warning each, not the driver's stack.
  if (isDatabaseUnavailable(error)) log?.warn({ error: (error as Error).message }, 'SCIM request failed: the database is unavailable');
  else if (mapped.status >= 500 && mapped.status !== 501) log?.error({ err: error }, 'SCIM request failed');
  else log?.debug({ status: mapped.status, detail: mapped.body.detail }, 'SCIM request refused');
  if (mapped.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse-scim"');
  if (mapped.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(mapped.retryAfterSeconds));
  // Through send: res.send would add an ETag hashed from the error body, which a client would take for
  // the resource's version (RFC 7644 §3.14) and retry a 412 with forever.
  send(res, mapped.status, mapped.body);
}

/** Where IdP admins enter the SCIM base URL, for 404s that say it is wrong. */
const BASE_URL_FIELDS = "Okta's SCIM connector base URL, Entra's Tenant URL";
const DOUBLED_RESOURCE = /^\/(users|groups)\/(?:users|groups)(?:\/|$)/i;
/** A SCIM endpoint asked for outside /scim/v2: `/scim/Users`, `/scim/v1/Users`, `/v2/Users`, `/Users`. */
const MISPLACED = /^(?:\/scim(?:\/v\d+)?|\/v\d+)?\/(?:users|groups|serviceproviderconfig|resourcetypes|schemas)(?:\/|$)/i;

/**
 * Mounted after every route, before the app's own 404: a SCIM request an admin sent to a base URL
 * without `/v2` (or without `/scim/v2`) gets a SCIM error body naming the base URL, which the IdP's
 * test connection shows, instead of the admin API's `route_not_found`. Other paths pass on.
 */
export function misplacedScimPath(baseUrl: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!MISPLACED.test(req.path)) return next();
    send(res, 404, errorBody(404, `No SCIM endpoint ${req.method} ${req.path}: the SCIM base URL is ${baseUrl} (enter it as ${BASE_URL_FIELDS})`));
  };
}

const RESOURCE = /^\/(users|groups)$/;
const ONE = /^\/(users|groups)\/[^/]+$/;
const SEARCH = /^(\/(users|groups))?\/\.search$/;
const DISCOVERY = /^\/(serviceproviderconfig|serviceconfiguration|resourcetypes(\/[^/]+)?|schemas(\/[^/]+)?)$/;

/** The methods a SCIM path answers (Express routes are case-insensitive, and a trailing slash is the same path); undefined for none. */
export function allowedMethods(path: string): string[] | undefined {
  const p = path.toLowerCase().replace(/(.)\/+$/, '$1');
  if (SEARCH.test(p)) return ['POST'];
  if (RESOURCE.test(p)) return ['GET', 'HEAD', 'POST'];
  if (ONE.test(p)) return ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'];
  if (DISCOVERY.test(p)) return ['GET', 'HEAD'];
  return undefined;
}
