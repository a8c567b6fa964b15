import type { Request, Response } from 'express';
import { ScimError } from '../errors.ts';
import { listResponse, readListRequest, type ListRequest } from '../list.ts';
import { groupResourceType, userResourceType } from '../schema/registry.ts';
import { send, type ScimDeps } from './context.ts';
import { searchUsers } from './users.ts';
import { searchGroups } from './groups.ts';

/**
 * RFC 7644 §3.4.3: POST /.search on the server root searches every resource
 * type. A filter that names attributes one type lacks simply excludes that type;
 * results are Users then Groups, paged over the concatenation.
 */
export function rootSearch(deps: ScimDeps) {
  return async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.cursor !== undefined) throw new ScimError(400, 'Cursor pagination is not supported on the root search', 'invalidValue');
    const tries = [
      { type: userResourceType, alias: 'u', search: searchUsers },
      { type: groupResourceType, alias: 'g', search: searchGroups },
    ];
    const plans: Array<{ list: ListRequest; search: typeof searchUsers }> = [];
    let lastError: unknown;
    for (const t of tries) {
      try {
        plans.push({ list: readListRequest(body, t.type, t.alias, deps.maxResults), search: t.search });
      } catch (error) {
        lastError = error;
      }
    }
    if (!plans.length) throw lastError;
    const first = plans[0]!.list;
    const wanted = first.startIndex - 1 + first.count;
    const resources: unknown[] = [];
    let total = 0;
    for (const plan of plans) {
      const result = await plan.search(deps, req, { ...plan.list, startIndex: 1, count: wanted });
      resources.push(...result.resources);
      total += result.total;
    }
    send(res, 200, listResponse(resources.slice(first.startIndex - 1, wanted), total, first, undefined));
  };
}
