import type { Request, Response } from 'express';
import { NotFoundError } from '../../directory/errors.ts';
import { ScimError } from '../errors.ts';
import { LIST_RESPONSE_SCHEMA, DEFAULT_PAGE_SIZE } from '../list.ts';
import { registry, resourceTypeJson, schemaJson } from '../schema/registry.ts';
import { send, type ScimDeps } from './context.ts';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

/** RFC 7643 §5, plus the cursor-pagination draft's `pagination` block. Generated, never hand-kept. */
export function serviceProviderConfig(deps: ScimDeps): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://github.com/gatehouse/gatehouse#scim-20',
    patch: { supported: true },
    // Bulk is not served, but its maxPayloadSize is the one place RFC 7643 §5 has for the largest body read.
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: deps.maxPayloadSize },
    filter: { supported: true, maxResults: deps.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: DEFAULT_PAGE_SIZE,
      maxPageSize: deps.maxResults,
    },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a bearer token created by `gatehouse token create --scope scim`',
        primary: true,
      },
      {
        type: 'httpbasic',
        name: 'HTTP Basic',
        description: 'The same SCIM token as the password, with any user name (Okta\'s Basic Auth mode)',
        primary: false,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${deps.baseUrl}/ServiceProviderConfig` },
  };
}

function withLocation(json: Record<string, unknown>, location: string): Record<string, unknown> {
  return { ...json, meta: { ...(json.meta as object), location } };
}

function list(resources: unknown[]): Record<string, unknown> {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: resources.length, itemsPerPage: resources.length, startIndex: 1, Resources: resources };
}

/**
 * RFC 7644 §4: discovery endpoints do not filter, and "if a 'filter' is provided, the service
 * provider SHOULD respond with HTTP status code 403 (Forbidden) to ensure clients cannot
 * incorrectly assume that any matching conditions specified in a filter are true".
 */
function refuseFilter(req: Request): void {
  const filter = req.query.filter;
  if (filter === undefined || filter === '') return;
  throw new ScimError(403, `${req.path} does not support filter: it always returns everything it describes (RFC 7644 §4)`);
}

export function discoveryHandlers(deps: ScimDeps) {
  const resourceTypes = registry.resourceTypes.map((r) => withLocation(resourceTypeJson(r), `${deps.baseUrl}/ResourceTypes/${r.id}`));
  const schemas = registry.schemas.map((s) => withLocation(schemaJson(s), `${deps.baseUrl}/Schemas/${s.id}`));
  return {
    serviceProviderConfig(req: Request, res: Response) {
      refuseFilter(req);
      send(res, 200, serviceProviderConfig(deps));
    },
    resourceTypes(req: Request, res: Response) {
      refuseFilter(req);
      send(res, 200, list(resourceTypes));
    },
    resourceType(req: Request, res: Response) {
      refuseFilter(req);
      const id = String(req.params.id).toLowerCase();
      const found = resourceTypes.find((r) => String(r.id).toLowerCase() === id);
      if (!found) throw new NotFoundError('ResourceType', String(req.params.id));
      send(res, 200, found);
    },
    schemas(req: Request, res: Response) {
      refuseFilter(req);
      send(res, 200, list(schemas));
    },
    schema(req: Request, res: Response) {
      refuseFilter(req);
      const id = String(req.params.id).toLowerCase();
      const found = schemas.find((s) => String(s.id).toLowerCase() === id);
      if (!found) throw new NotFoundError('Schema', String(req.params.id));
      send(res, 200, found);
    },
  };
}
