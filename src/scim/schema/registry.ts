import { enterpriseUserSchema } from './enterprise-user.ts';
import { groupSchema } from './group.ts';
import { userSchema } from './user.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './types.ts';

export const schemaSchemaId = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const resourceTypeSchemaId = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

/** RFC 7643 §3.1: common attributes, declared with the core schema but not part of its /Schemas entry. */
export const commonAttributeNames: ReadonlySet<string> = new Set(['id', 'externalId', 'meta']);

export const userResourceType: ResourceTypeDef = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: userSchema,
  extensions: [{ schema: enterpriseUserSchema, required: false }],
  table: 'users',
};

export const groupResourceType: ResourceTypeDef = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  extensions: [],
  table: 'groups',
};

const resourceTypes: readonly ResourceTypeDef[] = [userResourceType, groupResourceType];
const schemas: readonly SchemaDef[] = [userSchema, enterpriseUserSchema, groupSchema];

/** The one declaration of every SCIM resource (CONVENTIONS 1). */
export const registry = {
  resourceTypes,
  schemas,
  /** Schema URNs compare case-insensitively (RFC 7643 §2.1: "schema URIs … are case insensitive"). */
  schema(urn: string): SchemaDef | undefined {
    const lower = urn.toLowerCase();
    return schemas.find((s) => s.id.toLowerCase() === lower);
  },
  resourceType(name: string): ResourceTypeDef | undefined {
    const lower = name.toLowerCase();
    return resourceTypes.find((r) => r.id.toLowerCase() === lower);
  },
};

export interface ResolvedAttribute {
  attribute: AttributeDef;
  /** The complex attribute holding `attribute`, for sub-attribute paths such as name.givenName. */
  parent?: AttributeDef;
  schema: SchemaDef;
}

export function findAttribute(list: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return list?.find((a) => a.name.toLowerCase() === lower);
}

const attributeName = /^[A-Za-z$][\w$-]*/;

/**
 * dottedSchemaUrn (a tolerated spelling, like the IdP quirks): `urn:…:enterprise:2.0:User.department`
 * for RFC 7644 §3.10's `urn:…:enterprise:2.0:User:department`. After a known schema URN the '.'
 * is read as ':' only when an attribute of that schema follows (then `.sub`, `[filter]` or the
 * end), which no other reading can mean; anything else is no match, so the text is never taken
 * for an unknown schema `urn:…:enterprise:2.0` holding an attribute `User`.
 */
export function dottedSchemaUrn(schema: SchemaDef, rest: string): boolean {
  const name = attributeName.exec(rest)?.[0];
  return name !== undefined && findAttribute(schema.attributes, name) !== undefined && /^(?:$|[.[])/.test(rest.slice(name.length));
}

/**
 * The known schema a fully qualified path starts with (URNs compare case-insensitively) and the
 * path after it: `urn:…:User:name.givenName` → the User schema and `name.givenName`. The
 * separator is ':' (RFC 7644 §3.10), or '.' under dottedSchemaUrn.
 */
export function splitSchemaUrn(schemas: readonly SchemaDef[], path: string): { schema: SchemaDef; rest: string } | undefined {
  const lower = path.toLowerCase();
  for (const schema of schemas) {
    if (!lower.startsWith(schema.id.toLowerCase())) continue;
    const separator = path[schema.id.length];
    const rest = path.slice(schema.id.length + 1);
    if (separator === ':' || (separator === '.' && dottedSchemaUrn(schema, rest))) return { schema, rest };
  }
  return undefined;
}

/**
 * Resolves an attribute path (RFC 7644 §3.10: `[URN ":"] attrName ["." subAttr]`) against a
 * resource type. Names are case-insensitive (RFC 7643 §2.1). Without a URN the core schema
 * is tried first, then the extensions, so `department` and the fully qualified
 * `urn:…:enterprise:2.0:User:department` both resolve.
 */
export function resolvePath(resourceType: ResourceTypeDef, path: string): ResolvedAttribute | undefined {
  const all = [resourceType.schema, ...resourceType.extensions.map((e) => e.schema)];
  let candidates = all;
  let rest = path;
  if (path.toLowerCase().startsWith('urn:')) {
    const split = splitSchemaUrn(all, path);
    if (!split) return undefined;
    candidates = [split.schema];
    rest = split.rest;
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => p === '')) return undefined;
  const [name, subName] = parts as [string, string | undefined];
  for (const schema of candidates) {
    const attribute = findAttribute(schema.attributes, name);
    if (!attribute) continue;
    if (subName === undefined) return { attribute, schema };
    const sub = findAttribute(attribute.subAttributes, subName);
    return sub ? { attribute: sub, parent: attribute, schema } : undefined;
  }
  return undefined;
}

/** RFC 7643 §7: an attribute's characteristics, as /Schemas shows them (storage stays private). */
function attributeJson(a: AttributeDef): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeJson) } : {}),
  };
}

/** RFC 7643 §7 and §8.7.1: one /Schemas resource; the HTTP layer adds meta.location. */
export function schemaJson(schema: SchemaDef): Record<string, unknown> {
  return {
    schemas: [schemaSchemaId],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.filter((a) => !commonAttributeNames.has(a.name)).map(attributeJson),
    meta: { resourceType: 'Schema' },
  };
}

/** RFC 7643 §6: one /ResourceTypes resource; the HTTP layer adds meta.location. */
export function resourceTypeJson(resourceType: ResourceTypeDef): Record<string, unknown> {
  return {
    schemas: [resourceTypeSchemaId],
    id: resourceType.id,
    name: resourceType.name,
    endpoint: resourceType.endpoint,
    description: resourceType.description,
    schema: resourceType.schema.id,
    schemaExtensions: resourceType.extensions.map((e) => ({ schema: e.schema.id, required: e.required })),
    meta: { resourceType: 'ResourceType' },
  };
}
