import type { Request, Response } from 'express';
import { createGroup, deleteGroup, findGroup, getGroup, queryGroups, saveGroup } from '../../directory/groups.ts';
import { hiddenMemberIds } from '../../directory/group-members.ts';
import { NotFoundError } from '../../directory/errors.ts';
import { ScimError } from '../errors.ts';
import { matchesIfNoneMatch } from '../../lib/etag.ts';
import { listResponse, readListRequest, searchRequestBody, type ListRequest } from '../list.ts';
import { fetchPage } from './page.ts';
import { fromGroupResource, groupEtag, toGroupResource } from '../mappers/group.ts';
import { applyPatch, parsePatchRequest } from '../patch/index.ts';
import { project, splitAttributeList, wants, type Projection } from '../projection.ts';
import { groupResourceType as type } from '../schema/registry.ts';
import { readResource } from '../resource-input.ts';
import { expectedVersion, idParam, scope, send, type ScimDeps } from './context.ts';
import { writeLatest } from './latest-write.ts';

function projectionOf(req: Request): Projection {
  return { attributes: splitAttributeList(req.query.attributes), excludedAttributes: splitAttributeList(req.query.excludedAttributes) };
}

export function searchGroups(deps: ScimDeps, req: Request, list: ListRequest) {
  const withMembers = wants(type, list.projection, 'members');
  return fetchPage(
    list,
    async (query) => {
      const { groups, total } = await queryGroups(req.ctx.em, scope(req), { ...query, withMembers });
      return { items: groups, total };
    },
    (group) => project(toGroupResource(group, deps), type, list.projection),
  );
}

export function groupHandlers(deps: ScimDeps) {
  return {
    async list(req: Request, res: Response) {
      const list = readListRequest(req.query as Record<string, unknown>, type, 'g', deps.maxResults);
      const { resources, total, next } = await searchGroups(deps, req, list);
      send(res, 200, listResponse(resources, total, list, next));
    },

    async search(req: Request, res: Response) {
      const list = readListRequest(searchRequestBody(req.body), type, 'g', deps.maxResults);
      const { resources, total, next } = await searchGroups(deps, req, list);
      send(res, 200, listResponse(resources, total, list, next));
    },

    async get(req: Request, res: Response) {
      const projection = projectionOf(req);
      const group = await findGroup(req.ctx.em, scope(req), idParam(req), { withMembers: wants(type, projection, 'members') });
      if (!group) throw new NotFoundError('Group', idParam(req));
      if (matchesIfNoneMatch(req.get('if-none-match'), groupEtag(group))) {
        res.status(304).setHeader('ETag', groupEtag(group)).end();
        return;
      }
      send(res, 200, project(toGroupResource(group, deps), type, projection), groupEtag(group));
    },

    async create(req: Request, res: Response) {
      const input = fromGroupResource(readResource(req.body, type));
      const group = await createGroup(req.ctx.em, scope(req), input.fields, input.members ?? [], 'scim');
      const body = toGroupResource(group, deps);
      res.setHeader('Location', (body.meta as { location: string }).location);
      send(res, 201, project(body, type, projectionOf(req)), groupEtag(group));
    },

    async replace(req: Request, res: Response) {
      const ifMatch = expectedVersion(req);
      const input = fromGroupResource(readResource(req.body, type));
      const current = await getGroup(req.ctx.em, scope(req), idParam(req));
      // Okta's group push may PUT the whole group: `members` then replaces the membership.
      // A PUT without `members` leaves membership alone rather than emptying the group.
      const { group } = await saveGroup(req.ctx.em, scope(req), current, input.fields, input.members ? { set: input.members } : {}, {
        expectedVersion: ifMatch,
        source: 'scim',
      });
      send(res, 200, project(toGroupResource(group, deps), type, projectionOf(req)), groupEtag(group));
    },

    async patch(req: Request, res: Response) {
      const ifMatch = expectedVersion(req);
      const ops = parsePatchRequest(req.body);
      if (!ops.ok) throw new ScimError(400, ops.detail, ops.code);
      const group = await writeLatest(req.ctx.em, scope(req), { table: 'groups', id: idParam(req) }, ifMatch, async (em) => {
        const current = await getGroup(em, scope(req), idParam(req), { withMembers: true });
        // The ops apply to the members the IdP believes in, the hidden ones of users deleted here
        // included: its remove of one ends that membership, and a restore does not bring it back.
        const hidden = await hiddenMemberIds(em, scope(req), current.id);
        const resource = toGroupResource(current, deps);
        if (hidden.length) resource.members = [...((resource.members as unknown[] | undefined) ?? []), ...hidden.map((value) => ({ value }))];
        const patched = applyPatch(resource, ops.value, type);
        if (!patched.ok) throw new ScimError(400, patched.detail, patched.code);
        if (!patched.value.changed) return current;
        const input = fromGroupResource(patched.value.resource);
        // The membership difference becomes row inserts and deletes, so a concurrent PATCH loses no member.
        const before = new Set([...(current.members ?? []).map((m) => m.id), ...hidden]);
        const after = new Set(input.members ?? []);
        const change = { add: [...after].filter((id) => !before.has(id)), remove: [...before].filter((id) => !after.has(id)) };
        return (await saveGroup(em, scope(req), current, input.fields, change, { expectedVersion: ifMatch, source: 'scim' })).group;
      });
      send(res, 200, project(toGroupResource(group, deps), type, projectionOf(req)), groupEtag(group));
    },

    async remove(req: Request, res: Response) {
      await deleteGroup(req.ctx.em, scope(req), idParam(req), expectedVersion(req));
      res.status(204).end();
    },
  };
}
