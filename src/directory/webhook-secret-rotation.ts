import type { Em } from '../db/orm.ts';
import { isUuid } from '../lib/ids.ts';
import { newWebhookSecret } from '../lib/webhook-http.ts';
import { recordAuditSql } from './audit.ts';
import { NotFoundError } from './errors.ts';
import { lockIfMatch, type IfMatch } from './if-match.ts';
import type { Scope } from './scope.ts';
import { getWebhook, type WebhookRecord } from './webhooks.ts';

/**
 * Rolling an endpoint's secret with a grace period, as Stripe's "roll
 * secret" does: the new secret signs at once, and the one it replaces goes on
 * signing beside it until the grace period ends, each delivery carrying one
 * v1 signature per secret (`t=…,v1=<new>,v1=<old>`, lib/webhook-http.ts), so
 * a receiver verifies with either and can switch secrets whenever it deploys.
 *
 * One previous secret at most: rolling again during a grace period keeps the
 * secret just replaced and drops the older one. A grace period of 0 (and a
 * PATCH with a `secret`, webhooks.ts) replaces the secret at once and keeps
 * nothing. An expired previous secret signs nothing (the worker compares its
 * expiry with the pass's time, graceSecret) and the daily housekeeping
 * clears it (forgetExpiredWebhookSecrets).
 */

export const GRACE_HOURS = { default: 24, max: 168 } as const;

const HOUR_MS = 3_600_000;

export interface RotationInput {
  /** 0 … GRACE_HOURS.max. */
  graceHours: number;
  /** Given: the new secret (one kept in the team's vault); absent: one is generated. */
  secret?: string | undefined;
}

/** Rolls the secret; the new one is returned here and never again. With `ifMatch`, only while the endpoint is at one of those versions. */
export async function rotateWebhookSecret(em: Em, scope: Scope, id: string, input: RotationInput, now: Date, ifMatch?: IfMatch): Promise<{ webhook: WebhookRecord; secret: string }> {
  if (!isUuid(id)) throw new NotFoundError('Webhook', id);
  const secret = input.secret ?? newWebhookSecret();
  const expiresAt = input.graceHours > 0 ? new Date(now.getTime() + input.graceHours * HOUR_MS) : null;
  return em.transactional(async (tx) => {
    await lockIfMatch(tx, ifMatch, 'select version from webhooks where id = ? and org_id = ?', [id, scope.orgId], 'Webhook', id);
    // SET reads the row as it was: previous_secret takes the secret being replaced.
    const rows = await tx.execute(
      `update webhooks set previous_secret = case when ?::timestamptz is null then null else secret end, previous_secret_expires_at = ?::timestamptz,
         secret = ?, version = version + 1, updated_at = now()
       where id = ? and org_id = ? returning id`,
      [expiresAt, expiresAt, secret, id, scope.orgId],
    );
    if (!rows[0]) throw new NotFoundError('Webhook', id);
    const webhook = await getWebhook(tx, scope, id);
    await recordAuditSql(tx, scope, {
      action: 'webhook.secret_rotated',
      target: { type: 'webhook', id, label: webhook.url },
      details: { graceHours: input.graceHours, previousSecretExpiresAt: expiresAt?.toISOString() ?? null, secret: input.secret ? 'provided' : 'generated' },
    });
    return { webhook, secret };
  });
}

/**
 * The previous secret of an endpoint row (`previous_secret`,
 * `previous_secret_expires_at`, as the delivery worker reads them with the
 * endpoint) if it still signs at `now`, else null.
 */
export function graceSecret(row: Record<string, unknown>, now: Date): string | null {
  if (row.previous_secret === null || row.previous_secret === undefined) return null;
  return new Date(row.previous_secret_expires_at as string | Date).getTime() > now.getTime() ? String(row.previous_secret) : null;
}

/** When the previous secret of `webhook` stops signing, or null when none signs at `now`. */
export function graceEndsAt(webhook: WebhookRecord, now: Date): Date | null {
  const ends = webhook.previousSecretExpiresAt;
  return ends && ends.getTime() > now.getTime() ? ends : null;
}

/** Clears every previous secret whose grace period is over (the daily housekeeping); how many. */
export async function forgetExpiredWebhookSecrets(em: Em, now: Date): Promise<number> {
  const rows = await em.execute(
    'update webhooks set previous_secret = null, previous_secret_expires_at = null where previous_secret_expires_at <= ? returning 1',
    [now],
  );
  return rows.length;
}
