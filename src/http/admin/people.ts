import { Router } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { parseInput } from '../validate.ts';
import { statusFilters } from '../../directory/status.ts';
import {
  bulkLifecycle,
  deletePerson,
  disableUser,
  getPerson,
  listPeople,
  profileFields,
  reactivateUser,
  restoreUser,
  updateProfile,
  type BulkAction,
} from '../../directory/people.ts';
import { inTransaction } from './in-transaction.ts';
import { toPersonView } from './person-view.ts';
import { settingsRoutes } from './settings.ts';

const listQuery = z.strictObject({
  status: z.enum(statusFilters, { error: `must be one of ${statusFilters.join(', ')}` }).optional(),
  q: z.string().max(200, 'must be at most 200 characters').optional(),
  group: z.string().max(100).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});

const profileBody = z.strictObject(
  Object.fromEntries(profileFields.map((f) => [f, z.string().max(1000, 'is too long').nullable().optional()])) as Record<
    (typeof profileFields)[number],
    z.ZodOptional<z.ZodNullable<z.ZodString>>
  >,
);

const bulkBody = z.strictObject({
  ids: z.array(z.string().max(100), { error: 'must be a list of user ids' }).min(1, 'must name at least one user').max(1000, 'must name at most 1000 users'),
});

const deleteBody = z.object({ confirmEmail: z.unknown().optional() });

/**
 * People under /api/orgs/:org: /users (list, read, edit, disable, reactivate,
 * delete, restore, bulk) plus /settings and /license. One transaction per request.
 */
export function peopleRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  const now = () => container.clock.now();
  const id = (params: Record<string, unknown>) => String(params.id ?? '');

  router.get('/users', async (req, res) => {
    const query = parseInput(listQuery, req.query, 'query');
    const at = now();
    const page = await inTransaction(req, (tx) =>
      listPeople(tx, scopeFor(req), { status: query.status, q: query.q, groupId: query.group, afterId: query.cursor, limit: query.limit }, at),
    );
    res.json({ users: page.users.map((u) => toPersonView(u, at)), counts: page.counts, nextCursor: page.nextCursor });
  });

  for (const action of ['disable', 'reactivate'] as const satisfies readonly BulkAction[]) {
    router.post(`/users/${action}`, async (req, res) => {
      const body = parseInput(bulkBody, req.body);
      const results = await inTransaction(req, (tx) => bulkLifecycle(tx, scopeFor(req), action, body.ids));
      res.json({ results, done: results.filter((r) => r.done).length, failed: results.filter((r) => !r.done).length });
    });
  }

  router.get('/users/:id', async (req, res) => {
    const user = await inTransaction(req, (tx) => getPerson(tx, scopeFor(req), id(req.params)));
    res.json(toPersonView(user, now()));
  });

  router.patch('/users/:id', async (req, res) => {
    const body = parseInput(profileBody, req.body);
    const { user } = await inTransaction(req, (tx) => updateProfile(tx, scopeFor(req), id(req.params), body));
    res.json(toPersonView(user, now()));
  });

  router.post('/users/:id/disable', async (req, res) => {
    const user = await inTransaction(req, (tx) => disableUser(tx, scopeFor(req), id(req.params)));
    res.json(toPersonView(user, now()));
  });

  router.post('/users/:id/reactivate', async (req, res) => {
    const user = await inTransaction(req, (tx) => reactivateUser(tx, scopeFor(req), id(req.params)));
    res.json(toPersonView(user, now()));
  });

  router.delete('/users/:id', async (req, res) => {
    const body = parseInput(deleteBody, req.body);
    const user = await inTransaction(req, (tx) => deletePerson(tx, scopeFor(req), id(req.params), body.confirmEmail));
    res.json(toPersonView(user, now()));
  });

  router.post('/users/:id/restore', async (req, res) => {
    const at = now();
    const user = await inTransaction(req, (tx) => restoreUser(tx, scopeFor(req), id(req.params), at));
    res.json(toPersonView(user, at));
  });

  router.use('/', settingsRoutes(container));
  return router;
}
