import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { parseCursor, readFeed } from '../../directory/event-feed.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const feedQuery = z.strictObject({
  after: z.string().max(40, 'is not a cursor this API returned').optional().describe('The cursor of the last page read (absent: from the oldest retained event)'),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(100),
});

const eventShape = 'id, position, type, occurredAt, org {id, slug}, actor {type, id, label}, source, resource, data, requestId';

/** The change feed (issue 8): every event of the org in commit order, paged by a cursor the consumer stores. */
export const eventApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/events',
      tag: 'Events',
      summary: 'Change feed: events after a cursor, in commit order',
      description:
        'Store `cursor` after processing a page and pass it as `after` next time: every event is then seen exactly once and in order, ' +
        'whichever instance wrote it. An empty page returns the same cursor. Events are retained for `events.retentionDays` (default 30): ' +
        'a cursor whose following events were pruned is 410 `cursor_expired` (resync from `GET /users`, then go on from `details.head`).',
      permission: 'audit.read',
      query: feedQuery,
      responses: {
        200: { description: `{events: [${eventShape}], cursor, hasMore}` },
        410: { description: 'cursor_expired: events after `after` were pruned; `details` gives cursor, oldestPosition and head' },
      },
    },
    async ({ req, res, query }) => {
      const after = parseCursor(query.after);
      res.json(await readFeed(req.ctx.em, scopeFor(req).orgId, after, query.limit));
    },
  ),
];
