import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { addGroupMembers, listUserMemberships, removeGroupMembers, setUserMemberships, type UserMembership } from '../../directory/memberships.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';

/** The most memberships or members one request may name: one transaction stays short. */
export const MEMBERS_PER_REQUEST = 1000;

export function toMembershipView(m: UserMembership) {
  return {
    groupId: m.groupId,
    groupDisplayName: m.groupDisplayName,
    role: m.role,
    source: m.source,
    viaMapping: m.viaMapping,
    /** Made by SCIM (or in a SCIM group): the IdP's to change. */
    readOnly: m.source === 'scim' || m.groupSource === 'scim',
    addedAt: m.addedAt.toISOString(),
  };
}

const idParams = z.strictObject({ id: z.string().max(100) });
const id = z.string({ error: 'must be an id' }).max(100, 'must be at most 100 characters');
const role = z.string({ error: 'must be a role name' }).max(100, 'must be at most 100 characters');
const many = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `must be a list of ${what}` }).max(MEMBERS_PER_REQUEST, `must list at most ${MEMBERS_PER_REQUEST} ${what} per request`);

const setBody = z.strictObject({ memberships: many(z.strictObject({ groupId: id, role }), 'memberships') });
const addBody = z.strictObject({ members: many(z.strictObject({ userId: id, role: role.optional() }), 'members').min(1, 'must name at least one member') });
const removeBody = z.strictObject({ userIds: many(id, 'user ids').min(1, 'must name at least one user') });

const membershipList = { description: '{memberships: [{groupId, groupDisplayName, role, source, viaMapping, readOnly, addedAt}]}' };

/** Who is in which group with which role: per person, and many people per group. */
export const membershipApiRoutes: ApiRoute[] = [
  apiRoute(
    { method: 'get', path: '/users/:id/memberships', tag: 'Memberships', summary: 'A person’s groups with role, source and addedAt', permission: null, params: idParams, responses: { 200: membershipList } },
    async ({ req, res, params }) => {
      const memberships = await inTransaction(req, (tx) => listUserMemberships(tx, scopeFor(req), params.id));
      res.json({ memberships: memberships.map(toMembershipView) });
    },
  ),
  apiRoute(
    {
      method: 'put',
      path: '/users/:id/memberships',
      tag: 'Memberships',
      summary: 'Set a person’s groups and roles in one call; memberships SCIM made are kept (changing them: 409 scim_managed)',
      permission: 'groups.manage',
      params: idParams,
      body: setBody,
      responses: { 200: membershipList },
    },
    async ({ req, res, params, body }) => {
      const { memberships } = await inTransaction(req, (tx) => setUserMemberships(tx, scopeFor(req), params.id, body.memberships));
      res.json({ memberships: memberships.map(toMembershipView) });
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/groups/:id/members',
      tag: 'Memberships',
      summary: `Add up to ${MEMBERS_PER_REQUEST} people to a group (role defaults to the org's first role); a given role changes an existing member's`,
      permission: 'groups.manage',
      params: idParams,
      body: addBody,
      responses: { 200: { description: '{added: [userId], roleChanged: [userId], unchanged: [userId]}' } },
    },
    async ({ req, res, params, body }) => {
      res.json(await inTransaction(req, (tx) => addGroupMembers(tx, scopeFor(req), params.id, body.members)));
    },
  ),
  apiRoute(
    {
      method: 'delete',
      path: '/groups/:id/members',
      tag: 'Memberships',
      summary: `Remove up to ${MEMBERS_PER_REQUEST} people from a group; memberships SCIM made: 409 scim_managed`,
      permission: 'groups.manage',
      params: idParams,
      body: removeBody,
      responses: { 200: { description: '{removed: [userId], notMembers: [userId]}' } },
    },
    async ({ req, res, params, body }) => {
      res.json(await inTransaction(req, (tx) => removeGroupMembers(tx, scopeFor(req), params.id, body.userIds)));
    },
  ),
];
