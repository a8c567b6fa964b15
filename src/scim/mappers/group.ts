import type { GroupFields, GroupRecord } from '../../directory/groups.ts';
import { etagOf } from '../../lib/etag.ts';
import { groupSchemaId } from '../schema/group.ts';
import { rawExtensionUrns } from './schemas.ts';
import type { MapContext } from './user.ts';

type Json = Record<string, unknown>;

/**
 * The group's ETag (and meta.version): the row version, and a digest of the members it shows
 * (ids and display names, from the users' rows), so a member renamed or deleted elsewhere gives
 * a new tag without the group's row changing (etag.ts).
 */
export function groupEtag(group: GroupRecord): string {
  if (!group.members?.length) return etagOf(group.version);
  return etagOf(group.version, group.members.map((m) => [m.id, memberDisplay(m)]));
}

function memberDisplay(m: NonNullable<GroupRecord['members']>[number]): string {
  return m.displayName ?? m.userName;
}

/** CONVENTIONS 6: a stored group in its SCIM shape (RFC 7643 §4.2). */
export function toGroupResource(group: GroupRecord, ctx: MapContext): Json {
  const resource: Json = {
    // RFC 7643 §3: the core schema, then each custom extension kept raw.
    schemas: [groupSchemaId, ...rawExtensionUrns(group.scimAttributes, groupSchemaId)],
    id: group.id,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...group.scimAttributes,
  };
  if (group.members) {
    resource.members = group.members.map((m) => ({
      value: m.id,
      $ref: `${ctx.baseUrl}/Users/${m.id}`,
      display: memberDisplay(m),
      type: 'User',
    }));
  }
  resource.meta = {
    resourceType: 'Group',
    created: group.createdAt.toISOString(),
    lastModified: group.updatedAt.toISOString(),
    location: `${ctx.baseUrl}/Groups/${group.id}`,
    version: groupEtag(group),
  };
  return resource;
}

export interface GroupInput {
  fields: GroupFields;
  /** Member user ids; undefined when the body has no `members` (leave membership alone). */
  members: string[] | undefined;
}

/** A canonical SCIM group → domain fields and member ids. Unknown attributes are kept raw. */
export function fromGroupResource(resource: Json): GroupInput {
  const rest: Json = {};
  let members: string[] | undefined;
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'members') members = (value as Json[]).map((m) => String(m.value ?? ''));
    else if (!['schemas', 'displayName', 'externalId', 'id', 'meta'].includes(key)) rest[key] = value;
  }
  return {
    fields: {
      displayName: typeof resource.displayName === 'string' ? resource.displayName : '',
      externalId: typeof resource.externalId === 'string' ? resource.externalId : null,
      description: null,
      scimAttributes: rest,
    },
    members,
  };
}
