import type { Response } from 'express';
import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { createWebhook, deleteWebhook, eventTypes, getWebhook, listWebhooks, updateWebhook, type WebhookRecord } from '../../directory/webhooks.ts';
import { listDeliveries, replayEvents, retryDelivery } from '../../directory/webhook-delivery-log.ts';
import { resumeWebhook } from '../../directory/webhook-stalls.ts';
import { GRACE_HOURS, graceEndsAt, rotateWebhookSecret } from '../../directory/webhook-secret-rotation.ts';
import { parseCursor } from '../../directory/event-feed.ts';
import { deliveryStatuses } from '../../db/entities/index.ts';
import type { Container } from '../../container.ts';
import { outboundPolicy } from '../../config.ts';
import { apiRoute, type ApiRoute } from './route.ts';
import { ifMatchOf, sendVersioned } from './versioned.ts';

const url = z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters');
const types = z.array(z.enum(eventTypes, { error: `must be event types: ${eventTypes.join(', ')}` })).max(eventTypes.length * 2, 'is too long');
const secret = z.string().min(16, 'must be at least 16 characters').max(200, 'must be at most 200 characters')
  .refine((value) => value.trim().length >= 16 && !/\s/.test(value), 'must be at least 16 characters with no spaces or line breaks');
const description = z.string().trim().max(500, 'must be at most 500 characters').nullable();

const createBody = z.strictObject({ url, eventTypes: types.optional(), enabled: z.boolean().optional(), secret: secret.optional(), description: description.optional() });
const updateBody = z.strictObject({ url: url.optional(), eventTypes: types.optional(), enabled: z.boolean().optional(), secret: secret.optional(), description: description.optional() });
const graceHours = z.number({ error: `must be a whole number of hours from 0 to ${GRACE_HOURS.max}` })
  .int(`must be a whole number of hours from 0 to ${GRACE_HOURS.max}`)
  .min(0, 'must be 0 (replace at once) or more')
  .max(GRACE_HOURS.max, `must be at most ${GRACE_HOURS.max} (7 days)`);
const rotateBody = z.strictObject({
  graceHours: graceHours.default(GRACE_HOURS.default).describe(`How long the old secret goes on signing beside the new one (default ${GRACE_HOURS.default}; 0 = replace at once)`),
  secret: secret.optional().describe('The new secret (absent: one is generated)'),
});
const idParams = z.strictObject({ id: z.string().max(100) });
const deliveryParams = z.strictObject({ id: z.string().max(100), deliveryId: z.string().max(100) });
const deliveriesQuery = z.strictObject({
  status: z.enum(deliveryStatuses, { error: `must be one of ${deliveryStatuses.join(', ')}` }).optional(),
  before: z.string().max(100).optional().describe('The id of the last delivery of the previous page'),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});
const resumeQuery = z.strictObject({
  from: z.string().max(40).optional().describe('Go on after this feed cursor (absent: at the oldest retained event; the head: from the next event)'),
});
const replayQuery = z.strictObject({
  from: z.string().max(40).optional().describe('Replay events after this feed cursor (absent: every retained event)'),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(10000, 'must be at most 10000').default(1000),
});

function view(webhook: WebhookRecord, now: Date) {
  const stalled = webhook.stalled && { ...webhook.stalled, since: webhook.stalled.since.toISOString() };
  return {
    ...webhook,
    stalled,
    // An expired grace period the housekeeping has not cleared yet signs nothing: shown as none.
    previousSecretExpiresAt: graceEndsAt(webhook, now)?.toISOString() ?? null,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

/**
 * An endpoint's view with its ETag. Its stall (the feed's bounds in it move on) and the end of a
 * grace period change the view without its version: in the tag as a digest (versioned.ts), only when shown.
 */
function sendEndpoint(res: Response, webhook: WebhookRecord, now: Date, extra: Record<string, unknown> = {}): void {
  const shown = view(webhook, now);
  const moving = shown.stalled || shown.previousSecretExpiresAt ? { stalled: shown.stalled, previousSecretExpiresAt: shown.previousSecretExpiresAt } : undefined;
  sendVersioned(res, 200, { ...shown, ...extra }, webhook.version, moving);
}

const policy = (container: Container) => outboundPolicy(container.config);
const shape = 'id, url, description, eventTypes (empty = all), enabled, stalled (null, or {reason: cursor_expired, since, cursor, firstMissingPosition, oldestPosition, head}: '
  + 'events it was owed were pruned before it was sent them, and it is sent nothing until resumed), previousSecretExpiresAt (while a rolled secret still signs, else null), createdAt, updatedAt, version';

/** Webhook endpoints (issue 8): CRUD (audited), secret rotation, delivery log, manual retry and replay, resuming a stalled endpoint. */
export const webhookApiRoutes: ApiRoute[] = [
  apiRoute(
    { method: 'get', path: '/webhooks', tag: 'Webhooks', summary: 'Webhook endpoints', permission: 'settings.manage', responses: { 200: { description: `{webhooks: [${shape}]}` } } },
    async ({ container, req, res }) => {
      const now = container.clock.now();
      res.json({ webhooks: (await listWebhooks(req.ctx.em, scopeFor(req))).map((webhook) => view(webhook, now)) });
    },
  ),
  apiRoute(
    {
      method: 'post', path: '/webhooks', tag: 'Webhooks', summary: 'Add an endpoint; the secret is shown once',
      description: 'https only (http only where the operator allows it); hosts resolving to private, loopback or link-local addresses are refused unless the operator allows private networks.',
      permission: 'settings.manage', body: createBody, responses: { 201: { description: `${shape}, secret` } },
    },
    async ({ container, req, res, body }) => {
      const { webhook, secret: shown } = await createWebhook(req.ctx.em, scopeFor(req), body, policy(container));
      res.status(201).json({ ...view(webhook, container.clock.now()), secret: shown });
    },
  ),
  apiRoute(
    { method: 'get', path: '/webhooks/:id', tag: 'Webhooks', summary: 'One endpoint', description: 'ETag: its version, for If-Match on PATCH, DELETE and rotate-secret.', permission: 'settings.manage', params: idParams, responses: { 200: { description: shape } } },
    async ({ container, req, res, params }) => {
      sendEndpoint(res, await getWebhook(req.ctx.em, scopeFor(req), params.id), container.clock.now());
    },
  ),
  apiRoute(
    {
      method: 'patch', path: '/webhooks/:id', tag: 'Webhooks', summary: 'Change an endpoint (url, filter, enabled, description; a new secret replaces it at once, ending any grace period)',
      description: 'If-Match (the ETag GET answers, the version): 412 precondition_failed when the endpoint changed since; without it, as before.',
      permission: 'settings.manage', params: idParams, body: updateBody, responses: { 200: { description: shape } },
    },
    async ({ container, req, res, params, body }) => {
      sendEndpoint(res, await updateWebhook(req.ctx.em, scopeFor(req), params.id, body, policy(container), ifMatchOf(req)), container.clock.now());
    },
  ),
  apiRoute(
    {
      method: 'post', path: '/webhooks/:id/rotate-secret', tag: 'Webhooks', summary: 'Roll the secret; the new one is shown once, and the old one goes on signing beside it for graceHours',
      description: `During the grace period each delivery carries both signatures (t=…,v1=<new>,v1=<old>); then only the new one. graceHours 0–${GRACE_HOURS.max}, default ${GRACE_HOURS.default}; 0 replaces the secret at once. Rolling again during a grace period keeps only the secret just replaced. If-Match as on PATCH (412 precondition_failed when the endpoint changed since).`,
      permission: 'settings.manage', params: idParams, body: rotateBody, responses: { 200: { description: `${shape}, secret` } },
    },
    async ({ container, req, res, params, body }) => {
      const now = container.clock.now();
      const { webhook, secret: shown } = await rotateWebhookSecret(req.ctx.em, scopeFor(req), params.id, body, now, ifMatchOf(req));
      sendEndpoint(res, webhook, now, { secret: shown });
    },
  ),
  apiRoute(
    { method: 'delete', path: '/webhooks/:id', tag: 'Webhooks', summary: 'Remove an endpoint and its delivery log', description: 'If-Match (the ETag GET answers, the version): 412 precondition_failed when the endpoint changed since; without it, as before.', permission: 'settings.manage', params: idParams, responses: { 204: { description: 'Removed' } } },
    async ({ req, res, params }) => {
      await deleteWebhook(req.ctx.em, scopeFor(req), params.id, ifMatchOf(req));
      res.status(204).end();
    },
  ),
  apiRoute(
    {
      method: 'get', path: '/webhooks/:id/deliveries', tag: 'Webhooks', summary: 'Deliveries, newest first, with every attempt (status, error, response snippet)',
      permission: 'settings.manage', params: idParams, query: deliveriesQuery,
      responses: { 200: { description: '{deliveries: [id, eventId, eventType, eventPosition, status, reason, attempts, nextAttemptAt, deliveredAt, deadAt, lastStatus, lastError, log]}' } },
    },
    async ({ req, res, params, query }) => {
      res.json({ deliveries: await listDeliveries(req.ctx.em, scopeFor(req), params.id, query) });
    },
  ),
  apiRoute(
    {
      method: 'post', path: '/webhooks/:id/deliveries/:deliveryId/retry', tag: 'Webhooks', summary: 'Send a delivery again now (a new delivery of the same event); a disabled endpoint: 409 invalid_transition',
      permission: 'settings.manage', params: deliveryParams, responses: { 202: { description: 'The new delivery' } },
    },
    async ({ container, req, res, params }) => {
      res.status(202).json(await retryDelivery(req.ctx.em, scopeFor(req), params.id, params.deliveryId, container.clock.now()));
    },
  ),
  apiRoute(
    {
      method: 'post', path: '/webhooks/:id/resume', tag: 'Webhooks',
      summary: 'Resume a stalled endpoint (events it was owed were pruned): it follows the feed again after `from`, or from the oldest retained event',
      description: 'Audited. An endpoint that is not stalled, or is disabled (enabling it starts it at the newest event, which ends the stall): 409 invalid_transition, `details.reason` not_stalled or endpoint_disabled.',
      permission: 'settings.manage', params: idParams, query: resumeQuery,
      responses: {
        200: { description: shape },
        410: { description: 'cursor_expired: events after `from` were pruned; nothing changed' },
      },
    },
    async ({ container, req, res, params, query }) => {
      const from = parseCursor(query.from, 'from');
      res.json(view(await resumeWebhook(req.ctx.em, scopeFor(req), params.id, from), container.clock.now()));
    },
  ),
  apiRoute(
    {
      method: 'post', path: '/webhooks/:id/replay', tag: 'Webhooks', summary: 'Queue again every retained event after a feed cursor that passes the filter; a disabled endpoint: 409 invalid_transition',
      permission: 'settings.manage', params: idParams, query: replayQuery,
      responses: {
        202: { description: '{queued, lastPosition} (replay again from lastPosition when queued = limit)' },
        410: { description: 'cursor_expired: events after `from` were pruned; nothing queued' },
      },
    },
    async ({ container, req, res, params, query }) => {
      const from = parseCursor(query.from, 'from');
      res.status(202).json(await replayEvents(req.ctx.em, scopeFor(req), params.id, from, query.limit, container.clock.now()));
    },
  ),
];
