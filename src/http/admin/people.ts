import { z } from 'zod';
import { PHONE_MAX_LENGTH, userFieldMaxLength } from '../../directory/user-validation.ts';
import { scopeFor } from '../context.ts';
import { statusFilters } from '../../directory/status.ts';
import type { Requirement } from '../../directory/permissions.ts';
import { bulkLifecycle, type BulkAction } from '../../directory/bulk-lifecycle.ts';
import {
  deletePerson,
  disableUser,
  getPerson,
  listPeople,
  profileFields,
  reactivateUser,
  restoreUser,
  updateProfile,
  type PersonRecord,
  type ProfileField,
} from '../../directory/people.ts';
import { isLanguageTag, isPhoneNumber, isTimeZone, LANGUAGE_TAG_FORMAT, PHONE_FORMAT, TIME_ZONE_FORMAT } from '../../directory/profile-formats.ts';
import type { Em } from '../../db/orm.ts';
import type { Scope } from '../../directory/scope.ts';
import { idListQuery } from './id-list.ts';
import { inTransaction } from './in-transaction.ts';
import { toPersonView } from './person-view.ts';
import { apiRoute, type ApiRoute } from './route.ts';

/** The most ids one list call takes: its largest page. */
const MAX_IDS = 200;

const listQuery = z.strictObject({
  status: z.enum(statusFilters, { error: `must be one of ${statusFilters.join(', ')}` }).optional(),
  q: z.string().max(200, 'must be at most 200 characters').optional(),
  group: z.string().max(100).optional(),
  // Comma-separated, as the users export takes them; at most a page, so one call answers them all.
  ids: idListQuery(MAX_IDS)
    .optional()
    .describe(`Only these users (comma-separated ids, at most ${MAX_IDS}); the status filter still applies, so deleted ones need status=deleted`),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});

/** What an admin types must be one (profile-formats.ts); SCIM stores what the IdP sends. Blank clears the field. */
const formats: Partial<Record<ProfileField, { test: (text: string) => boolean; reason: string; description: string }>> = {
  phone: { test: isPhoneNumber, reason: `must be a phone number: ${PHONE_FORMAT}`, description: `The profile's number: ${PHONE_FORMAT}` },
  locale: { test: isLanguageTag, reason: `must be ${LANGUAGE_TAG_FORMAT} (en_US is taken too)`, description: 'The user’s locale (SCIM locale): a BCP 47 language tag, such as en-US; en_US is taken too' },
  preferredLanguage: { test: isLanguageTag, reason: `must be ${LANGUAGE_TAG_FORMAT} (en_US is taken too)`, description: 'The user’s preferred language (SCIM preferredLanguage): a BCP 47 language tag, such as en or en-US; en_US is taken too' },
  timezone: { test: isTimeZone, reason: `must be ${TIME_ZONE_FORMAT}`, description: 'An IANA time zone, such as Europe/Berlin or UTC' },
};

const profileBody = z.strictObject(
  // Each field's own limit, in the domain's words (a longer value gets the same answer from both).
  Object.fromEntries(profileFields.map((f) => {
    const limit = f === 'phone' ? PHONE_MAX_LENGTH : userFieldMaxLength[f]!;
    const format = formats[f];
    const text = z.string().max(limit, `must be at most ${limit} characters`);
    return [f, (format ? text.refine((v) => v.length > limit || v.trim() === '' || format.test(v), format.reason).describe(format.description) : text).nullable().optional()];
  })) as Record<
    (typeof profileFields)[number],
    z.ZodOptional<z.ZodNullable<z.ZodString>>
  >,
).extend({
  // Checked as SCIM checks the enterprise manager (directory/users.ts assertManager), when it changes.
  managerId: z.string({ error: 'must be the id of a user of this organization, or null for no manager' })
    .max(userFieldMaxLength.managerId!, `must be at most ${userFieldMaxLength.managerId!} characters`)
    .nullable().optional()
    .describe('The manager: the id of a user of this organization who is not deleted and not this user; null or "" for none'),
});

const bulkIds = z.array(z.string().max(100), { error: 'must be a list of user ids' }).min(1, 'must name at least one user').max(1000, 'must name at most 1000 users');
const bulkBodies = {
  disable: z.strictObject({
    ids: bulkIds,
    force: z.boolean({ error: 'must be true or false' }).optional()
      .describe("Disable them even when they are more than the org's massDisableThreshold share of its enabled people (else 409 mass_disable_threshold)"),
  }),
  reactivate: z.strictObject({ ids: bulkIds }),
} satisfies Record<BulkAction, z.ZodType>;
const bulkDone = { 200: { description: '{results: [{id, done, reason?, message?}], done, failed}' } };

const deleteBody = z.object({
  confirmEmail: z.unknown().optional().describe('The user’s email (or userName when they have none), typed to confirm'),
});

const idParams = z.strictObject({ id: z.string().max(100) });

const person = {
  description: 'The user: id, userName, email, status, source, orgRole, every profile field PATCH takes (givenName, familyName, middleName, displayName, nickName, title, '
    + 'department, division, organization, costCenter, employeeNumber, officeLocation, preferredLanguage, locale, timezone, phone; null when empty), '
    + 'read-only what an IdP gave (externalId, emails, phoneNumbers, userType, honorificPrefix, honorificSuffix, managerId), active (SCIM\'s sense), manager, dates, groups '
    + '(the keys and values of a user.* event\'s resource), invitationId (the open invitation of a pending or expired user)',
};

const bulkPermission: Record<BulkAction, Requirement> = { disable: 'users.disable', reactivate: 'users.disable' };

type Move = (tx: Em, scope: Scope, id: string, at: Date) => Promise<PersonRecord>;
const moves: Record<'disable' | 'reactivate' | 'restore', Move> = {
  disable: (tx, scope, id) => disableUser(tx, scope, id),
  reactivate: (tx, scope, id) => reactivateUser(tx, scope, id),
  restore: restoreUser,
};

/** One lifecycle move on one user: disable, reactivate, restore. */
function lifecycleRoute(action: keyof typeof moves, summary: string, permission: Requirement): ApiRoute {
  return apiRoute(
    { method: 'post', path: `/users/:id/${action}`, tag: 'People', summary, permission, params: idParams, responses: { 200: person } },
    async ({ container, req, res, params }) => {
      const at = container.clock.now();
      const user = await inTransaction(req, (tx) => moves[action](tx, scopeFor(req), params.id, at));
      res.json(toPersonView(user, at));
    },
  );
}

/**
 * People under /api/orgs/:org/users: list, read, edit, disable, reactivate,
 * delete, restore, bulk. One transaction per request.
 */
export const peopleApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/users',
      tag: 'People',
      summary: 'List people, filtered by status, search text, group or ids, with counts per status',
      permission: null,
      query: listQuery,
      responses: { 200: { description: '{users (each as GET /users/:id shows them), counts (per status, ignoring the status filter), nextCursor}' } },
    },
    async ({ container, req, res, query }) => {
      const at = container.clock.now();
      const page = await inTransaction(req, (tx) =>
        listPeople(tx, scopeFor(req), { status: query.status, q: query.q, groupId: query.group, ids: query.ids, afterId: query.cursor, limit: query.limit }, at),
      );
      res.json({ users: page.users.map((u) => toPersonView(u, at)), counts: page.counts, nextCursor: page.nextCursor });
    },
  ),
  ...(['disable', 'reactivate'] as const satisfies readonly BulkAction[]).map((action) =>
    apiRoute(
      {
        method: 'post',
        path: `/users/${action}`,
        tag: 'People',
        summary: `${action === 'disable' ? 'Disable' : 'Reactivate'} many users; each id succeeds or fails on its own`,
        permission: bulkPermission[action],
        body: bulkBodies[action] as z.ZodType<{ ids: string[]; force?: boolean | undefined }>,
        responses: action === 'disable'
          ? { ...bulkDone, 409: { description: 'mass_disable_threshold: more than the org’s massDisableThreshold of its enabled people, without force; details.massDisable {disable, enabled, threshold}; nothing disabled' } }
          : bulkDone,
      },
      async ({ req, res, body }) => {
        const results = await inTransaction(req, (tx) => bulkLifecycle(tx, scopeFor(req), action, body.ids, { force: body.force }));
        res.json({ results, done: results.filter((r) => r.done).length, failed: results.filter((r) => !r.done).length });
      },
    ),
  ),
  apiRoute(
    { method: 'get', path: '/users/:id', tag: 'People', summary: 'One user (deleted ones too)', permission: null, params: idParams, responses: { 200: person } },
    async ({ container, req, res, params }) => {
      const user = await inTransaction(req, (tx) => getPerson(tx, scopeFor(req), params.id));
      res.json(toPersonView(user, container.clock.now()));
    },
  ),
  apiRoute(
    {
      method: 'patch',
      path: '/users/:id',
      tag: 'People',
      summary: 'Edit profile fields and the manager (managerId; null or "" clears one); refused for fields the IdP owns',
      permission: 'users.edit',
      params: idParams,
      body: profileBody,
      responses: { 200: person },
    },
    async ({ container, req, res, params, body }) => {
      const { user } = await inTransaction(req, (tx) => updateProfile(tx, scopeFor(req), params.id, body));
      res.json(toPersonView(user, container.clock.now()));
    },
  ),
  lifecycleRoute('disable', 'Disable a user: no sign-in, sessions end, the seat is freed', 'users.disable'),
  lifecycleRoute('reactivate', 'Reactivate a disabled user (needs a free seat; an invitee who never registered becomes pending again)', 'users.disable'),
  apiRoute(
    {
      method: 'delete',
      path: '/users/:id',
      tag: 'People',
      summary: 'Delete a user (restorable for 30 days); the body confirms with their email',
      permission: 'users.delete',
      params: idParams,
      body: deleteBody,
      responses: { 200: person },
    },
    async ({ container, req, res, params, body }) => {
      const user = await inTransaction(req, (tx) => deletePerson(tx, scopeFor(req), params.id, body.confirmEmail));
      res.json(toPersonView(user, container.clock.now()));
    },
  ),
  lifecycleRoute('restore', 'Restore a deleted user within 30 days', 'users.delete'),
];
