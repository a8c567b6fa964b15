import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Container } from '../../container.ts';
import { PermissionError } from '../../directory/errors.ts';
import { allows, type Requirement } from '../../directory/permissions.ts';
import { parseInput } from '../validate.ts';
import { JSON_BODY, refuseUnreadBody } from '../bodies.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One admin API route, declared once: the same object mounts the Express
 * handler (permission check, input validation) and feeds the OpenAPI document
 * (src/http/openapi.ts). Paths are relative to /api/orgs/:org, in Express
 * syntax (`/users/:id`).
 */
export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: Method;
  path: string;
  /** OpenAPI tag: the section of the admin API. */
  tag: string;
  summary: string;
  description?: string;
  /** What the caller must hold; null = any authenticated caller of the org. */
  permission: Requirement;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The domain validates the body itself with this same `body` schema (its own
   * wording for refusals); the route documents it and hands the body on as sent.
   */
  bodyValidatedByDomain?: boolean;
  /** The request body's media type when it is not JSON (e.g. text/csv, read by the handler). */
  rawBody?: string;
  /** Success answers: status → description (and optionally the media type, JSON by default). */
  responses: Record<number, { description: string; contentType?: string; schema?: z.ZodType }>;
}

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteInput<P, Q, B> {
  container: Container;
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
}

export interface ApiRoute {
  spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
  handle(input: RouteInput<unknown, unknown, unknown>): Promise<void>;
}

export function apiRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<P, Q, B>,
  handle: (input: RouteInput<Infer<P>, Infer<Q>, Infer<B>>) => Promise<void>,
): ApiRoute {
  return { spec, handle: handle as ApiRoute['handle'] };
}

/** Refuses, naming the missing permission, unless the caller holds it. */
export function requirePermission(req: Request, requirement: Requirement): void {
  const access = req.ctx.access;
  if (!access) throw new Error('requirePermission() called on a route without an authenticator');
  if (allows(access, requirement)) return;
  const needed = requirement === 'org_admin' ? 'org_admin' : requirement;
  throw new PermissionError(
    requirement === 'org_admin' ? 'Only an org admin may do this' : `This needs the "${needed}" permission`,
    { missingPermission: needed },
  );
}

/** Mounts declared routes on a router (mergeParams, so :org stays visible). */
export function mountRoutes(container: Container, routes: readonly ApiRoute[]): Router {
  const router = Router({ mergeParams: true });
  for (const route of routes) {
    const { spec } = route;
    router[spec.method](spec.path, async (req, res) => {
      requirePermission(req, spec.permission);
      // A route with a raw body (the CSV upload) checks its own media types.
      const refused = spec.rawBody ? undefined : refuseUnreadBody(req, res, JSON_BODY);
      if (refused) throw refused;
      if (req.ctx.repeatedField) throw req.ctx.repeatedField;
      const { org: _org, ...pathParams } = req.params as Record<string, string>;
      const params = spec.params ? parseInput(spec.params, pathParams, 'params') : undefined;
      const query = spec.query ? parseInput(spec.query, req.query, 'query') : undefined;
      const body = spec.body && !spec.bodyValidatedByDomain ? parseInput(spec.body, req.body, 'body') : spec.body ? req.body : undefined;
      await route.handle({ container, req, res, params, query, body });
    });
  }
  return router;
}
