import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { userSources } from '../../db/entities/index.ts';
import {
  createEntryPoint,
  deleteEntryPoint,
  getEntryPoint,
  listEntryPoints,
  listGroupMembers,
  updateEntryPoint,
  type EntryPoint,
  type GroupMemberRow,
} from '../../directory/entry-points.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';
import { ifMatchOf, sendVersioned } from './versioned.ts';

/** A group as the admin API shows it (CONVENTIONS 6). */
export function toGroupView(group: EntryPoint) {
  return {
    id: group.id,
    displayName: group.displayName,
    description: group.description,
    externalId: group.externalId,
    source: group.source,
    /** SCIM groups belong to the IdP: shown, never changed here. */
    readOnly: group.source === 'scim',
    memberCount: group.memberCount,
    createdAt: group.createdAt.toISOString(),
    updatedAt: group.updatedAt.toISOString(),
    version: group.version,
  };
}

export function toMemberView(member: GroupMemberRow) {
  return {
    userId: member.userId,
    userName: member.userName,
    displayName: member.displayName,
    email: member.email,
    role: member.role,
    source: member.source,
    viaMapping: member.viaMapping,
    addedAt: member.addedAt.toISOString(),
  };
}

const idParams = z.strictObject({ id: z.string().max(100) });

const limit = (max: number, fallback: number) =>
  z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`).default(fallback);

const listQuery = z.strictObject({
  q: z.string().max(200, 'must be at most 200 characters').optional().describe('Case-insensitive text in the name or description'),
  source: z.enum(userSources, { error: `must be one of ${userSources.join(', ')}` }).optional(),
  cursor: z.string().max(1000).optional().describe('The nextCursor of the previous page'),
  limit: limit(200, 50),
});

const membersQuery = z.strictObject({
  membersCursor: z.string().max(100).optional().describe('The membersNextCursor of the previous answer'),
  membersLimit: limit(1000, 100),
});

const pageQuery = z.strictObject({ cursor: z.string().max(100).optional(), limit: limit(1000, 100) });

const displayName = z.string({ error: 'must be a string' }).max(300, 'must be at most 300 characters');
const description = z.string({ error: 'must be a string or null' }).max(1000, 'must be at most 1000 characters').nullable();

const createBody = z.strictObject({ displayName, description: description.optional() });
const updateBody = z.strictObject({ displayName: displayName.optional(), description: description.optional() });
const deleteQuery = z.strictObject({
  force: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('true: delete a group that still has members, with their memberships'),
});

const group = { description: 'The group: id, displayName, description, externalId, source, readOnly, memberCount, createdAt, updatedAt, version' };
const withMembers = {
  description: 'The group with members: [{userId, userName, displayName, email, role, source, viaMapping, addedAt}] (oldest first) and membersNextCursor',
};

/** Groups ("entry points") under /api/orgs/:org/groups. SCIM groups are listed and read, never changed here. */
export const groupApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/groups',
      tag: 'Groups',
      summary: 'List groups by name, with member counts; search with q, filter by source',
      permission: null,
      query: listQuery,
      responses: { 200: { description: '{groups: [group], nextCursor}' } },
    },
    async ({ req, res, query }) => {
      const page = await inTransaction(req, (tx) => listEntryPoints(tx, scopeFor(req), query));
      res.json({ groups: page.groups.map(toGroupView), nextCursor: page.nextCursor });
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/groups',
      tag: 'Groups',
      summary: 'Create a group (name unique in the org, compared case-insensitively: 409 conflict)',
      permission: 'groups.manage',
      body: createBody,
      responses: { 201: group },
    },
    async ({ req, res, body }) => {
      const created = await inTransaction(req, (tx) => createEntryPoint(tx, scopeFor(req), body));
      res.status(201).json(toGroupView(created));
    },
  ),
  apiRoute(
    { method: 'get', path: '/groups/:id', tag: 'Groups', summary: 'One group with its first page of members', permission: null, params: idParams, query: membersQuery, responses: { 200: withMembers } },
    async ({ req, res, params, query }) => {
      const { found, page } = await inTransaction(req, async (tx) => ({
        found: await getEntryPoint(tx, scopeFor(req), params.id),
        page: await listGroupMembers(tx, scopeFor(req), params.id, { cursor: query.membersCursor, limit: query.membersLimit, cursorField: 'membersCursor' }),
      }));
      const members = { memberCount: found.memberCount, members: page.members.map(toMemberView), membersNextCursor: page.nextCursor };
      // The members shown change without the group's version: digested into the tag (versioned.ts), as SCIM's group tags do.
      sendVersioned(res, 200, { ...toGroupView(found), ...members }, found.version, members);
    },
  ),
  apiRoute(
    {
      method: 'get',
      path: '/groups/:id/members',
      tag: 'Groups',
      summary: 'A page of a group’s members, oldest membership first',
      permission: null,
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: '{members: [{userId, userName, displayName, email, role, source, viaMapping, addedAt}], nextCursor}' } },
    },
    async ({ req, res, params, query }) => {
      const page = await inTransaction(req, (tx) => listGroupMembers(tx, scopeFor(req), params.id, query));
      res.json({ members: page.members.map(toMemberView), nextCursor: page.nextCursor });
    },
  ),
  apiRoute(
    {
      method: 'patch',
      path: '/groups/:id',
      tag: 'Groups',
      summary: 'Rename or describe a group (null clears the description); SCIM groups: 409 scim_managed',
      description: 'If-Match (the ETag GET answers; only its version is compared): 412 precondition_failed when the group changed since; without it, as before.',
      permission: 'groups.manage',
      params: idParams,
      body: updateBody,
      responses: { 200: group },
    },
    async ({ req, res, params, body }) => {
      const updated = await inTransaction(req, (tx) => updateEntryPoint(tx, scopeFor(req), params.id, body, ifMatchOf(req)));
      sendVersioned(res, 200, toGroupView(updated), updated.version, { memberCount: updated.memberCount });
    },
  ),
  apiRoute(
    {
      method: 'delete',
      path: '/groups/:id',
      tag: 'Groups',
      summary: 'Delete a group; with members it needs ?force=true (else 409 group_not_empty); SCIM groups: 409 scim_managed',
      description: 'If-Match as on PATCH.',
      permission: 'groups.manage',
      params: idParams,
      query: deleteQuery,
      responses: { 204: { description: 'Deleted, with its memberships and the IdP group mappings to it' } },
    },
    async ({ req, res, params, query }) => {
      await inTransaction(req, (tx) => deleteEntryPoint(tx, scopeFor(req), params.id, query.force === 'true', ifMatchOf(req)));
      res.status(204).end();
    },
  ),
];
