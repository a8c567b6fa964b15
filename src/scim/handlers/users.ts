import type { Request, Response } from 'express';
import { createUser, deleteUser, findUser, getUser, queryUsers, saveUser } from '../../directory/users.ts';
import { NotFoundError } from '../../directory/errors.ts';
import { ScimError } from '../errors.ts';
import { matchesIfNoneMatch } from '../etag.ts';
import { listResponse, readListRequest, type ListRequest } from '../list.ts';
import { fetchPage } from './page.ts';
import { fromUserResource, toUserResource } from '../mappers/user.ts';
import { applyPatch, parsePatchRequest } from '../patch/index.ts';
import { project, splitAttributeList, wants, type Projection } from '../projection.ts';
import { userResourceType as type } from '../schema/registry.ts';
import { readResource } from '../resource-input.ts';
import { expectedVersion, idParam, retryStale, scope, send, type ScimDeps } from './context.ts';

function projectionOf(req: Request): Projection {
  return { attributes: splitAttributeList(req.query.attributes), excludedAttributes: splitAttributeList(req.query.excludedAttributes) };
}

export function searchUsers(deps: ScimDeps, req: Request, list: ListRequest) {
  const withGroups = wants(type, list.projection, 'groups');
  return fetchPage(
    list,
    async (query) => {
      const { users, total } = await queryUsers(req.ctx.em, scope(req), { ...query, withGroups });
      return { items: users, total };
    },
    (user) => project(toUserResource(user, deps), type, list.projection),
  );
}

export function userHandlers(deps: ScimDeps) {
  return {
    async list(req: Request, res: Response) {
      const list = readListRequest(req.query as Record<string, unknown>, type, 'u', deps.maxResults);
      const { resources, total, next } = await searchUsers(deps, req, list);
      send(res, 200, listResponse(resources, total, list, next));
    },

    async search(req: Request, res: Response) {
      const list = readListRequest((req.body ?? {}) as Record<string, unknown>, type, 'u', deps.maxResults);
      const { resources, total, next } = await searchUsers(deps, req, list);
      send(res, 200, listResponse(resources, total, list, next));
    },

    async get(req: Request, res: Response) {
      const projection = projectionOf(req);
      const user = await findUser(req.ctx.em, scope(req), idParam(req), { withGroups: wants(type, projection, 'groups') });
      if (!user) throw new NotFoundError('User', idParam(req));
      if (matchesIfNoneMatch(req.get('if-none-match'), user.version)) {
        res.status(304).setHeader('ETag', `W/"${user.version}"`).end();
        return;
      }
      send(res, 200, project(toUserResource(user, deps), type, projection), user.version);
    },

    async create(req: Request, res: Response) {
      const input = fromUserResource(readResource(req.body, type));
      const user = await createUser(req.ctx.em, scope(req), input.fields, { source: 'scim', active: input.active, withGroups: true });
      const body = toUserResource(user, deps);
      res.setHeader('Location', (body.meta as { location: string }).location);
      send(res, 201, project(body, type, projectionOf(req)), user.version);
    },

    async replace(req: Request, res: Response) {
      const ifMatch = expectedVersion(req);
      const input = fromUserResource(readResource(req.body, type));
      const user = await retryStale(ifMatch, async () => {
        const current = await getUser(req.ctx.em, scope(req), idParam(req));
        if (ifMatch !== undefined && current.version !== ifMatch) throw new ScimError(412, 'The user was changed since the version in If-Match');
        // RFC 7644 §3.5.1: a PUT replaces what it names; `active` left out keeps the user as is (Okta's AIW PUTs omit it).
        return (await saveUser(req.ctx.em, scope(req), current, input.fields, { active: input.active, withGroups: true })).user;
      });
      send(res, 200, project(toUserResource(user, deps), type, projectionOf(req)), user.version);
    },

    async patch(req: Request, res: Response) {
      const ifMatch = expectedVersion(req);
      const ops = parsePatchRequest(req.body);
      if (!ops.ok) throw new ScimError(400, ops.detail, ops.code);
      const user = await retryStale(ifMatch, async () => {
        const current = await getUser(req.ctx.em, scope(req), idParam(req), { withGroups: true });
        if (ifMatch !== undefined && current.version !== ifMatch) throw new ScimError(412, 'The user was changed since the version in If-Match');
        const patched = applyPatch(toUserResource(current, deps), ops.value, type);
        if (!patched.ok) throw new ScimError(400, patched.detail, patched.code);
        if (!patched.value.changed) return current;
        const input = fromUserResource(patched.value.resource);
        const saved = await saveUser(req.ctx.em, scope(req), current, input.fields, { active: input.active, withGroups: true });
        return saved.user;
      });
      send(res, 200, project(toUserResource(user, deps), type, projectionOf(req)), user.version);
    },

    async remove(req: Request, res: Response) {
      await deleteUser(req.ctx.em, scope(req), idParam(req), expectedVersion(req));
      res.status(204).end();
    },
  };
}
