import type { Request, Response } from 'express';
import { ScimError } from '../errors.ts';
import { listResponse, readListRequest, searchRequestBody, type ListRequest } from '../list.ts';
import { groupResourceType, userResourceType } from '../schema/registry.ts';
import { send, type ScimDeps } from './context.ts';
import { searchUsers } from './users.ts';
import { searchGroups } from './groups.ts';

/**
 * RFC 7644 §3.4.3: POST /.search on the server root searches every resource
 * type. An attribute one type lacks is absent on its resources (a comparison on
 * it is false); results are Users then Groups, paged over the concatenation.
 */
export function rootSearch(deps: ScimDeps) {
  return async (req: Request, res: Response) => {
    const body = searchRequestBody(req.body);
    if (body.cursor !== undefined) throw new ScimError(400, 'Cursor pagination is not supported on the root search', 'invalidValue');
    const tries = [
      { type: userResourceType, alias: 'u', search: searchUsers },
      { type: groupResourceType, alias: 'g', search: searchGroups },
    ];
    const read = (t: (typeof tries)[number], unknownAttributes: 'refuse' | 'absent') => {
      try {
        return { list: readListRequest(body, t.type, t.alias, deps.maxResults, { unknownAttributes }), search: t.search };
      } catch (error) {
        return { error };
      }
    };
    // Strictly first: a filter that no type understands is the client's error (the last type's reason).
    const strict = tries.map((t) => read(t, 'refuse'));
    if (strict.every((r) => 'error' in r)) throw strict.at(-1)!.error;
    // A type lacking an attribute the filter names has it absent, so `displayName eq "Eng" or
    // userName eq "x"` finds the group Eng; a filter still wrong for that type leaves the type out.
    const plans: Array<{ list: ListRequest; search: typeof searchUsers }> = [];
    tries.forEach((t, i) => {
      const plan = 'error' in strict[i]! ? read(t, 'absent') : strict[i]!;
      if (!('error' in plan)) plans.push(plan);
    });
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
