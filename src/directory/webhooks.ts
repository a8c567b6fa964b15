import type { Em } from '../db/orm.ts';
import { uuidv7, isUuid } from '../lib/ids.ts';
import { checkOutboundUrl, OutboundUrlError, type OutboundPolicy } from '../lib/outbound-url.ts';
import { newWebhookSecret } from '../lib/webhook-http.ts';
import { recordAuditSql } from './audit.ts';
import type { StalledReason } from '../db/entities/index.ts';
import { FEED_BOUNDS, FEED_BOUNDS_COLUMNS, NEWEST_POSITION } from './event-feed.ts';
import { NotFoundError, StaleVersionError, ValidationError } from './errors.ts';
import { assertIfMatch, lockIfMatch, type IfMatch } from './if-match.ts';
import type { Scope } from './scope.ts';

/**
 * Webhook endpoints of an org (issue 8): a URL, a secret, an event-type filter
 * and an on/off switch. Every change is audited (`webhook.*`, no product
 * event). The URL is checked against the SSRF rules when saved; the delivery
 * worker checks it again at every connection (lib/outbound-url.ts).
 *
 * An endpoint receives the events published while it is enabled: its feed
 * cursor (directory/webhook-deliveries.ts) starts at its org's newest position when
 * it is created, and jumps there again when it is re-enabled, so what happened
 * while it was off is not sent (a replay sends it on request). Enabling a
 * stalled endpoint (webhook-stalls.ts) so ends its stall.
 */

/** Every event type the feed emits (the audit → event trigger, migrations/…_event_triggers.ts). */
export const eventTypes = [
  'user.created', 'user.updated', 'user.disabled', 'user.reactivated', 'user.deleted', 'user.restored', 'user.purged',
  'invitation.sent', 'invitation.accepted', 'invitation.expired', 'invitation.revoked',
  'group.created', 'group.updated', 'group.deleted',
  'membership.added', 'membership.removed', 'membership.role_changed',
  'session.started', 'sso.failed', 'license.exhausted',
] as const;
export type EventType = (typeof eventTypes)[number];

/** Why and since when the worker sends an endpoint nothing (webhook-stalls.ts), and where it may resume. */
export interface WebhookStall {
  reason: StalledReason;
  since: Date;
  /** The position it was sent up to. */
  cursor: string;
  /** The first position it was owed that was pruned; null when not known (stalled at the upgrade). */
  firstMissingPosition: string | null;
  /** The org's oldest retained event now (null: none is), and its newest position: a resume starts in between. */
  oldestPosition: string | null;
  head: string;
}

export interface WebhookRecord {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  /** Null while it follows the feed. */
  stalled: WebhookStall | null;
  /** When the secret a rotation replaced stops signing (webhook-secret-rotation.ts); null when none is kept. */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface WebhookInput {
  url?: string | undefined;
  description?: string | null | undefined;
  eventTypes?: string[] | undefined;
  enabled?: boolean | undefined;
  /** Given: used as the secret (on update, at once, ending any grace period); absent on create: one is generated. */
  secret?: string | undefined;
}

/** SQL: whether the endpoint row `alias` wants an event of type `type` (an empty filter: every type); the lease and the prune's stall check read it alike. */
export function wantsEventSql(alias: string, type: string): string {
  return `(jsonb_array_length(${alias}.event_types) = 0 or ${alias}.event_types @> jsonb_build_array(${type}))`;
}

type Row = Record<string, unknown>;
const columns = `w.id, w.url, w.description, w.event_types, w.enabled, w.previous_secret_expires_at, w.created_at, w.updated_at, w.version,
  w.stalled_reason, w.stalled_at, w.cursor_position::text as cursor_position, w.stalled_from::text as stalled_from`;

/** A row of `columns`, with FEED_BOUNDS_COLUMNS where it may be stalled (reads). */
function toRecord(row: Row): WebhookRecord {
  const types = typeof row.event_types === 'string' ? JSON.parse(row.event_types) : row.event_types;
  return {
    id: String(row.id),
    url: String(row.url),
    description: (row.description as string | null) ?? null,
    eventTypes: (types ?? []) as string[],
    enabled: Boolean(row.enabled),
    stalled: row.stalled_reason
      ? {
        reason: row.stalled_reason as StalledReason,
        since: new Date(row.stalled_at as string),
        cursor: String(row.cursor_position),
        firstMissingPosition: (row.stalled_from as string | null) ?? null,
        oldestPosition: (row.feed_oldest as string | null) ?? null,
        head: String(row.feed_head),
      }
      : null,
    previousSecretExpiresAt: row.previous_secret_expires_at ? new Date(row.previous_secret_expires_at as string) : null,
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
    version: Number(row.version),
  };
}

/** The endpoints of the org, with its feed's bounds (where a stalled one may resume). */
function selectWebhooks(where: string): string {
  return `with ${FEED_BOUNDS} select ${columns}, ${FEED_BOUNDS_COLUMNS} from webhooks w join b on b.org_id = w.org_id ${where}`;
}

async function checkedUrl(url: string, policy: OutboundPolicy): Promise<string> {
  try {
    return (await checkOutboundUrl(url, policy)).toString();
  } catch (error) {
    if (error instanceof OutboundUrlError) throw ValidationError.field('url', error.message);
    throw error;
  }
}

function checkTypes(types: string[]): string[] {
  const unknown = types.filter((t) => !(eventTypes as readonly string[]).includes(t));
  if (unknown.length) throw ValidationError.field('eventTypes', `unknown event type ${unknown.map((t) => JSON.stringify(t)).join(', ')}; known: ${eventTypes.join(', ')}`);
  return [...new Set(types)];
}

export async function listWebhooks(em: Em, scope: Pick<Scope, 'orgId'>): Promise<WebhookRecord[]> {
  const rows = await em.execute(selectWebhooks('order by w.created_at, w.id'), [scope.orgId]);
  return rows.map(toRecord);
}

export async function getWebhook(em: Em, scope: Pick<Scope, 'orgId'>, id: string): Promise<WebhookRecord> {
  const rows = isUuid(id) ? await em.execute(selectWebhooks('where w.id = ?'), [scope.orgId, id]) : [];
  if (!rows[0]) throw new NotFoundError('Webhook', id);
  return toRecord(rows[0]);
}

/** Creates an endpoint; the secret is returned here and never again. */
export async function createWebhook(em: Em, scope: Scope, input: WebhookInput & { url: string }, policy: OutboundPolicy): Promise<{ webhook: WebhookRecord; secret: string }> {
  const url = await checkedUrl(input.url, policy);
  const types = checkTypes(input.eventTypes ?? []);
  const secret = input.secret ?? newWebhookSecret();
  const id = uuidv7();
  const webhook = await em.transactional(async (tx) => {
    const rows = await tx.execute(
      `insert into webhooks as w (id, created_at, updated_at, org_id, url, description, secret, event_types, enabled, version, cursor_position)
       values (?, now(), now(), ?, ?, ?, ?, ?::jsonb, ?, 1, ${NEWEST_POSITION}) returning ${columns}`,
      [id, scope.orgId, url, input.description ?? null, secret, JSON.stringify(types), input.enabled ?? true, scope.orgId],
    );
    await recordAuditSql(tx, scope, {
      action: 'webhook.created',
      target: { type: 'webhook', id, label: url },
      details: { url, eventTypes: types, enabled: input.enabled ?? true, secret: input.secret ? 'provided' : 'generated' },
    });
    return toRecord(rows[0]!);
  });
  return { webhook, secret };
}

/**
 * Changes what was given. A new `secret` replaces the secret at once, as a
 * rotation with no grace period does (webhook-secret-rotation.ts): any previous
 * secret still signing is dropped. Nothing changed → nothing written.
 * `ifMatch` (If-Match): only while the endpoint is at one of those versions, else StaleVersionError,
 * whether or not the change would write anything; the update's `version = ?` keeps it so to the write.
 */
export async function updateWebhook(em: Em, scope: Scope, id: string, input: WebhookInput, policy: OutboundPolicy, ifMatch?: IfMatch): Promise<WebhookRecord> {
  const current = await getWebhook(em, scope, id);
  assertIfMatch(ifMatch, current.version, 'Webhook', id);
  const next = {
    url: input.url === undefined ? current.url : await checkedUrl(input.url, policy),
    description: input.description === undefined ? current.description : input.description,
    eventTypes: input.eventTypes === undefined ? current.eventTypes : checkTypes(input.eventTypes),
    enabled: input.enabled ?? current.enabled,
  };
  const changes: Record<string, unknown> = {};
  for (const key of ['url', 'description', 'enabled'] as const) {
    if (next[key] !== current[key]) changes[key] = { from: current[key], to: next[key] };
  }
  if (JSON.stringify(next.eventTypes) !== JSON.stringify(current.eventTypes)) changes.eventTypes = { from: current.eventTypes, to: next.eventTypes };
  if (input.secret !== undefined) changes.secret = 'rotated at once (no grace period)';
  if (!Object.keys(changes).length) return current;
  // Enabled again: it starts at the newest event, so nothing it missed is behind its cursor any more.
  const reenabled = next.enabled && !current.enabled;
  if (reenabled && current.stalled) changes.stalled = { from: current.stalled.reason, to: null };
  return em.transactional(async (tx) => {
    const rows = await tx.execute(
      `update webhooks set url = ?, description = ?, event_types = ?::jsonb, enabled = ?, secret = coalesce(?, secret),
         previous_secret = case when ? then null else previous_secret end, previous_secret_expires_at = case when ? then null else previous_secret_expires_at end,
         version = version + 1, updated_at = now(),
         cursor_position = case when ? then ${NEWEST_POSITION} else cursor_position end,
         stalled_reason = case when ? then null else stalled_reason end, stalled_at = case when ? then null else stalled_at end,
         stalled_from = case when ? then null else stalled_from end
       where id = ? and org_id = ? and version = ? returning id`,
      [next.url, next.description, JSON.stringify(next.eventTypes), next.enabled, input.secret ?? null, input.secret !== undefined, input.secret !== undefined, reenabled, scope.orgId, reenabled, reenabled, reenabled, id, scope.orgId, current.version],
    );
    if (!rows[0]) throw new StaleVersionError('Webhook', id);
    await recordAuditSql(tx, scope, { action: 'webhook.updated', target: { type: 'webhook', id, label: next.url }, details: { changes } });
    return getWebhook(tx, scope, id);
  });
}

/** Removes the endpoint and its delivery history (cascade); with `ifMatch`, only while it is at one of those versions. */
export async function deleteWebhook(em: Em, scope: Scope, id: string, ifMatch?: IfMatch): Promise<void> {
  const current = await getWebhook(em, scope, id);
  await em.transactional(async (tx) => {
    await lockIfMatch(tx, ifMatch, 'select version from webhooks where id = ? and org_id = ?', [id, scope.orgId], 'Webhook', id);
    const rows = await tx.execute('delete from webhooks where id = ? and org_id = ? returning id', [id, scope.orgId]);
    if (!rows[0]) throw new NotFoundError('Webhook', id);
    await recordAuditSql(tx, scope, { action: 'webhook.deleted', target: { type: 'webhook', id, label: current.url }, details: { url: current.url } });
  });
}
