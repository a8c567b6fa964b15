import type { Request, Response } from 'express';
import { findUser, findUserByUserName, getUser, queryUsers } from '../../directory/user-queries.ts';
import { createUser, deleteUser, saveUser } from '../../directory/users.ts';
import { NotFoundError } from '../../directory/errors.ts';
import { setUserActive } from '../../directory/user-activation.ts';
import { jsonEqual } from '../../lib/equal.ts';
import { ScimError } from '../errors.ts';
import { matchesIfNoneMatch } from '../../lib/etag.ts';
import { filterLiteral } from '../filter/leaf.ts';
import { listResponse, readListRequest, searchRequestBody, type ListRequest } from '../list.ts';
import { fetchPage } from './page.ts';
import { fromUserResource, toUserResource, userEtag } from '../mappers/user.ts';
import { applyPatch, parsePatchRequest, type PatchOp } from '../patch/index.ts';
import { userSchemaId } from '../schema/user.ts';
import { project, splitAttributeList, wants, type Projection } from '../projection.ts';
import { resolvePath, userResourceType as type } from '../schema/registry.ts';
import { readResource } from '../resource-input.ts';
import { expectedVersion, idParam, scope, send, type ScimDeps } from './context.ts';
import { writeLatest } from './latest-write.ts';

function projectionOf(req: Request): Projection {
  return { attributes: splitAttributeList(req.query.attributes), excludedAttributes: splitAttributeList(req.query.excludedAttributes) };
}

/**
 * `userName eq "…"` (Okta and Entra ask it before every create): userName is
 * unique per org, so one key lookup answers it, with totalResults 0 or 1.
 * Cursor and sorted requests take the general path.
 */
function userNameAsked(list: ListRequest): string | undefined {
  const f = list.filter;
  if (!f || f.op !== 'eq' || list.cursor || list.orderBy) return undefined;
  const resolved = resolvePath(type, f.attrPath);
  if (!resolved || resolved.parent || resolved.schema.id !== type.schema.id || resolved.attribute.name !== 'userName') return undefined;
  // The filter's own reading of the literal: Entra's unquoted `userName eq 12345` is "12345".
  const value = filterLiteral(resolved.attribute, f.op, f.compValue, f.raw);
  return typeof value === 'string' ? value : undefined;
}

/**
 * The `active` value when the operations set `active` and nothing else (in any
 * of the IdPs' spellings: path or path-less, "Replace", "False"). The engine
 * is pure, so it decides: run on a bare resource, active or not, it must give
 * that resource with only `active` set, the same either way.
 */
function activeOnly(ops: PatchOp[]): boolean | undefined {
  if (ops.some((op) => op.op === 'remove')) return undefined;
  let result: boolean | undefined;
  for (const start of [true, false]) {
    const patched = applyPatch({ schemas: [userSchemaId], active: start }, ops, type);
    if (!patched.ok) return undefined;
    const { active, ...rest } = patched.value.resource;
    if (typeof active !== 'boolean' || (result !== undefined && active !== result) || !jsonEqual(rest, { schemas: [userSchemaId] })) return undefined;
    result = active;
  }
  return result;
}

export async function searchUsers(deps: ScimDeps, req: Request, list: ListRequest): Promise<{ resources: Array<Record<string, unknown>>; total: number; next: string | undefined }> {
  const withGroups = wants(type, list.projection, 'groups');
  const userName = userNameAsked(list);
  if (userName !== undefined) {
    const user = await findUserByUserName(req.ctx.sql, scope(req), userName, { withGroups });
    const onPage = user && list.startIndex === 1 && list.count > 0;
    return { resources: onPage ? [project(toUserResource(user, deps), type, list.projection)] : [], total: user ? 1 : 0, next: undefined };
  }
  return fetchPage(
    list,
    async (query) => {
      const { users, total } = await queryUsers(req.ctx.sql, scope(req), { ...query, withGroups });
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
      const list = readListRequest(searchRequestBody(req.body), type, 'u', deps.maxResults);
      const { resources, total, next } = await searchUsers(deps, req, list);
      send(res, 200, listResponse(resources, total, list, next));
    },

    async get(req: Request, res: Response) {
      const projection = projectionOf(req);
      const user = await findUser(req.ctx.sql, scope(req), idParam(req), { withGroups: wants(type, projection, 'groups') });
      if (!user) throw new NotFoundError('User', idParam(req));
      if (matchesIfNoneMatch(req.get('if-none-match'), userEtag(user))) {
        res.status(304).setHeader('ETag', userEtag(user)).end();
        return;
      }
      send(res, 200, project(toUserResource(user, deps), type, projection), userEtag(user));
    },

    async create(req: Request, res: Response) {
      const input = fromUserResource(readResource(req.body, type));
      const user = await createUser(req.ctx, scope(req), input.fields, { source: 'scim', active: input.active, withGroups: true });
      const body = toUserResource(user, deps);
      res.setHeader('Location', (body.meta as { location: string }).location);
      send(res, 201, project(body, type, projectionOf(req)), userEtag(user));
    },

    async replace(req: Request, res: Response) {
      const ifMatch = expectedVersion(req);
      const input = fromUserResource(readResource(req.body, type));
      const user = await writeLatest(req.ctx.em, scope(req), { table: 'users', id: idParam(req) }, ifMatch, async (em) => {
        // With its groups: a PUT that changes nothing answers with the user as read.
        const current = await getUser(em, scope(req), idParam(req), { withGroups: true });
        if (ifMatch !== undefined && current.version !== ifMatch) throw new ScimError(412, 'The user was changed since the version in If-Match');
        // RFC 7644 §3.5.1: a PUT replaces what it names; `active` left out keeps the user as is (Okta's AIW PUTs omit it).
        return (await saveUser(em, scope(req), current, input.fields, { active: input.active, withGroups: true })).user;
      });
      send(res, 200, project(toUserResource(user, deps), type, projectionOf(req)), userEtag(user));
    },

    async patch(req: Request, res: Response) {
      const ifMatch = expectedVersion(req);
      const ops = parsePatchRequest(req.body);
      if (!ops.ok) throw new ScimError(400, ops.detail, ops.code);
      const active = activeOnly(ops.value);
      const switched = active === undefined ? undefined : await setUserActive(req.ctx.sql, scope(req), idParam(req), active, ifMatch);
      if (switched === null) throw new NotFoundError('User', idParam(req));
      if (switched) {
        send(res, 200, project(toUserResource(switched, deps), type, projectionOf(req)), userEtag(switched));
        return;
      }
      const user = await writeLatest(req.ctx.em, scope(req), { table: 'users', id: idParam(req) }, ifMatch, async (em) => {
        const current = await getUser(em, scope(req), idParam(req), { withGroups: true });
        if (ifMatch !== undefined && current.version !== ifMatch) throw new ScimError(412, 'The user was changed since the version in If-Match');
        const patched = applyPatch(toUserResource(current, deps, { patchBase: true }), ops.value, type);
        if (!patched.ok) throw new ScimError(400, patched.detail, patched.code);
        const input = fromUserResource(patched.value.resource);
        // Unchanged, yet `active: false` for a person disabled here makes that disable the IdP's (saveUser).
        if (!patched.value.changed && input.active !== false) return current;
        const saved = await saveUser(em, scope(req), current, input.fields, { active: input.active, withGroups: true });
        return saved.user;
      });
      send(res, 200, project(toUserResource(user, deps), type, projectionOf(req)), userEtag(user));
    },

    async remove(req: Request, res: Response) {
      await deleteUser(req.ctx.em, scope(req), idParam(req), expectedVersion(req));
      res.status(204).end();
    },
  };
}
