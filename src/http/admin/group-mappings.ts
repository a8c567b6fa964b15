import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { getGroupMappings, previewGroupMappings, replaceGroupMappings } from '../../directory/group-mappings.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const MAX_MAPPINGS = 500;

const body = z.strictObject({
  mappings: z
    .array(
      z.strictObject({
        idpGroup: z.string({ error: 'must be the IdP group’s display name' }).max(300, 'must be at most 300 characters').describe('Compared case-insensitively'),
        groupId: z.string({ error: 'must be a group id' }).max(100, 'must be at most 100 characters'),
        role: z.string({ error: 'must be a role name' }).max(100, 'must be at most 100 characters'),
      }),
      { error: 'must be a list of {idpGroup, groupId, role}' },
    )
    .max(MAX_MAPPINGS, `must list at most ${MAX_MAPPINGS} mappings`),
});

const list = { description: '{mappings: [{idpGroup, groupId, groupDisplayName, role}]}' };

/** IdP group → group and role mappings under /api/orgs/:org/group-mappings. */
export const groupMappingApiRoutes: ApiRoute[] = [
  apiRoute(
    { method: 'get', path: '/group-mappings', tag: 'Group mappings', summary: 'The IdP group mappings', permission: null, responses: { 200: list } },
    async ({ req, res }) => {
      res.json({ mappings: await inTransaction(req, (tx) => getGroupMappings(tx, scopeFor(req))) });
    },
  ),
  apiRoute(
    {
      method: 'put',
      path: '/group-mappings',
      tag: 'Group mappings',
      summary: 'Replace the IdP group mappings and apply them to the people SCIM and SAML sign-ins put in those IdP groups',
      permission: 'settings.manage',
      body,
      responses: { 200: { description: '{mappings, applied: {people, added, changed, removed}}' } },
    },
    async ({ req, res, body }) => {
      res.json(await inTransaction(req, (tx) => replaceGroupMappings(tx, scopeFor(req), body.mappings)));
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/group-mappings/preview',
      tag: 'Group mappings',
      summary: 'Who would get what under a proposed list of mappings; nothing is saved',
      permission: 'settings.manage',
      body,
      responses: {
        200: {
          description:
            '{people: [{userId, userName, email, changes: [{action: add|change|remove, groupId, groupDisplayName, role, source, from?}]}], summary: {people, added, changed, removed}}',
        },
      },
    },
    async ({ req, res, body }) => {
      const outcome = await inTransaction(req, (tx) => previewGroupMappings(tx, scopeFor(req), body.mappings));
      res.json(outcome);
    },
  ),
];
