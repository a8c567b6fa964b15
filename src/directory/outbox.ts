import type { Em } from '../db/orm.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { MailDeliveryError, type Mailer } from '../lib/mailer.ts';
import { uuidv7 } from '../lib/ids.ts';
import { jsonbValue } from '../db/jsonb.ts';
import { PeriodicJob, type JobFailures } from './periodic-job.ts';

/**
 * The transactional outbox: code that decides to mail someone inserts a row in
 * its own transaction (`enqueueMail`); workers send committed rows later, with
 * retries and exponential back-off. Any number of instances may run workers:
 * a row is claimed with `for update skip locked` and leased for
 * `claimTimeoutMs`, so each message goes to one worker at a time, and a
 * worker that dies mid-send leaves a claim that lapses (at-least-once).
 */

export interface OutboxMail {
  orgId?: string | null | undefined;
  to: string;
  subject: string;
  text: string;
  html?: string | null | undefined;
  kind: string;
  related?: Record<string, string> | undefined;
  /**
   * `transactional` (the default): someone is waiting for it (a password reset, a sign-in code).
   * `bulk`: many at a time (invitations). Workers claim every due transactional mail first.
   */
  priority?: MailPriority | undefined;
}

export type MailPriority = 'transactional' | 'bulk';

/** The stored `priority`: claimed in ascending order. */
export const priorityValue: Record<MailPriority, number> = { transactional: 0, bulk: 1 };

export interface OutboxMessageView {
  id: string;
  orgId: string | null;
  to: string;
  subject: string;
  kind: string;
  related: Record<string, string>;
  attempts: number;
}

export interface PermanentFailure {
  /** `refused`: the server answered 5xx for this address; `exhausted`: retries ran out. */
  reason: 'refused' | 'exhausted';
  error: string;
  responseCode?: number | undefined;
}

/**
 * Runs in the transaction that marks the message failed, so e.g. an invitation
 * becomes `undeliverable` together with its mail. Dispatch on `message.kind`.
 */
export type PermanentFailureHook = (em: Em, message: OutboxMessageView, failure: PermanentFailure) => Promise<void>;

/**
 * Asked right before a claimed message is sent: a reason when it is no longer
 * wanted (the invitation it carries was revoked while it waited in the queue),
 * null to send it. Dispatch on `message.kind`.
 */
export type CancelCheck = (em: Em, message: OutboxMessageView, now: Date) => Promise<string | null>;

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  jitter: number;
}

export interface OutboxDeps {
  fork(): Em;
  mailer: Mailer;
  logger: Logger;
  retry: RetryPolicy;
  claimTimeoutMs: number;
  batchSize: number;
  onPermanentFailure?: PermanentFailureHook | undefined;
  cancelReason?: CancelCheck | undefined;
  random?: () => number;
}

export interface DeliveryReport {
  sent: number;
  retried: number;
  failed: number;
  /** Claimed, found no longer wanted (CancelCheck), marked cancelled and not sent. */
  cancelled: number;
}

/** Queues a mail in the caller's transaction; nothing is sent until it commits. */
export async function enqueueMail(em: Em, mail: OutboxMail, now: Date): Promise<string> {
  const id = uuidv7(now.getTime());
  await em.execute(
    `insert into outbox_messages (id, created_at, updated_at, org_id, "to", subject, text, html, kind, related, priority, attempts, next_attempt_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 0, ?)`,
    [id, now, now, mail.orgId ?? null, mail.to, mail.subject.slice(0, 500), mail.text, mail.html ?? null, mail.kind, JSON.stringify(mail.related ?? {}), priorityValue[mail.priority ?? 'transactional'], now],
  );
  return id;
}

/**
 * Keeps a message that was delivered by other means (an SMS the default sender
 * only logged) as a row already sent, so workers never try to mail it.
 */
export async function recordDelivered(em: Em, mail: OutboxMail, now: Date): Promise<string> {
  const id = uuidv7(now.getTime());
  await em.execute(
    `insert into outbox_messages (id, created_at, updated_at, org_id, "to", subject, text, html, kind, related, attempts, next_attempt_at, sent_at)
     values (?, ?, ?, ?, ?, ?, ?, null, ?, ?::jsonb, 1, ?, ?)`,
    [id, now, now, mail.orgId ?? null, mail.to.slice(0, 320), mail.subject.slice(0, 500), mail.text, mail.kind, JSON.stringify(mail.related ?? {}), now, now],
  );
  return id;
}

/** Delay before attempt `attempts + 1`: base · 2^(attempts−1), capped, plus up to `jitter` of it at random. */
export function retryDelayMs(attempts: number, retry: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (1 + retry.jitter * random()));
}

type Row = Record<string, unknown>;

interface Claimed extends OutboxMessageView {
  text: string;
  html: string | null;
}

function toClaimed(row: Row): Claimed {
  return {
    id: String(row.id),
    orgId: (row.org_id as string | null) ?? null,
    to: String(row.to),
    subject: String(row.subject),
    text: String(row.text),
    html: (row.html as string | null) ?? null,
    kind: String(row.kind),
    related: jsonbValue<Record<string, string>>(row.related, {}),
    attempts: Number(row.attempts),
  };
}

/**
 * What a message keeps once it leaves the queue (sent, refused for good or
 * cancelled): who, subject, kind, related ids and times. Its body held a
 * one-time link or code in clear (the database keeps only their hashes), so
 * the body goes; the recipient has it.
 */
export const REMOVED_BODY = '[removed once the message left the outbox: it may have held a one-time link or code]';
const bodyRemoved = `text = '${REMOVED_BODY}', html = null`;

/**
 * One statement, so the row lock lasts only as long as the claim: pick the
 * due message nobody holds — transactional before bulk, then the oldest —
 * count the attempt and push it out of sight for the lease. Rows another
 * worker has locked are skipped, not waited for.
 */
async function claimOne(em: Em, now: Date, leaseMs: number): Promise<Claimed | null> {
  const rows = await em.execute(
    `update outbox_messages set attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
     where id = (
       select id from outbox_messages
       where sent_at is null and failed_at is null and cancelled_at is null and next_attempt_at <= ?
       order by priority, next_attempt_at, id limit 1
       for update skip locked)
     and sent_at is null and failed_at is null and cancelled_at is null
     returning id, org_id, "to", subject, text, html, kind, related, attempts`,
    [new Date(now.getTime() + leaseMs), now, now],
  );
  return rows[0] ? toClaimed(rows[0]) : null;
}

async function markFailed(deps: OutboxDeps, message: Claimed, failure: PermanentFailure, now: Date): Promise<void> {
  const mark = (em: Em, error: string) =>
    em.execute(`update outbox_messages set failed_at = ?, last_error = ?, ${bodyRemoved}, updated_at = ? where id = ?`, [now, error.slice(0, 1000), now, message.id]);
  try {
    await deps.fork().transactional(async (tx) => {
      await mark(tx, failure.error);
      await deps.onPermanentFailure?.(tx, message, failure);
    });
  } catch (error) {
    // The hook broke: still stop mailing a refused address, and say why in the row and the log.
    deps.logger.error({ err: error, messageId: message.id, kind: message.kind }, 'outbox permanent-failure hook failed');
    await mark(deps.fork(), `${failure.error} (hook failed: ${(error as Error).message})`);
  }
}

/**
 * Sends every message due at `now`, once, up to `batchSize`: what the worker
 * runs on each tick, and what tests call directly with an injected time.
 */
export async function deliverDue(deps: OutboxDeps, now: Date): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, retried: 0, failed: 0, cancelled: 0 };
  const em = deps.fork();
  for (let i = 0; i < deps.batchSize; i++) {
    const message = await claimOne(em, now, deps.claimTimeoutMs);
    if (!message) break;
    const log = deps.logger.child({ outboxId: message.id, kind: message.kind, attempt: message.attempts });
    const cancel = await deps.cancelReason?.(em, message, now);
    if (cancel) {
      await em.execute(`update outbox_messages set cancelled_at = ?, cancel_reason = ?, ${bodyRemoved}, updated_at = ? where id = ?`, [now, cancel.slice(0, 200), now, message.id]);
      log.info({ reason: cancel }, 'mail cancelled');
      report.cancelled++;
      continue;
    }
    try {
      const { messageId } = await deps.mailer.send(message);
      await em.execute(`update outbox_messages set sent_at = ?, last_error = null, ${bodyRemoved}, updated_at = ? where id = ?`, [now, now, message.id]);
      log.info({ messageId }, 'mail sent');
      report.sent++;
    } catch (caught) {
      const error = caught instanceof MailDeliveryError ? caught : new MailDeliveryError((caught as Error).message ?? String(caught), false, undefined, caught);
      if (error.permanent || message.attempts >= deps.retry.maxAttempts) {
        const failure: PermanentFailure = { reason: error.permanent ? 'refused' : 'exhausted', error: error.message, responseCode: error.responseCode };
        await markFailed(deps, message, failure, now);
        log.warn({ reason: failure.reason, error: error.message }, 'mail failed permanently');
        report.failed++;
      } else {
        const next = new Date(now.getTime() + retryDelayMs(message.attempts, deps.retry, deps.random));
        await em.execute('update outbox_messages set next_attempt_at = ?, last_error = ?, updated_at = ? where id = ?', [next, error.message.slice(0, 1000), now, message.id]);
        log.warn({ error: error.message, nextAttemptAt: next }, 'mail deferred');
        report.retried++;
      }
    }
  }
  return report;
}

/**
 * Runs `deliverDue` every `pollIntervalMs`, and soon after `nudge()` (a request
 * that just committed a mail): a PeriodicJob whose pass is one delivery batch.
 */
export class OutboxWorker extends PeriodicJob {
  constructor(deps: OutboxDeps, clock: Clock, pollIntervalMs: number, failures?: JobFailures) {
    super({
      name: 'outbox',
      intervalMs: pollIntervalMs,
      logger: deps.logger,
      failures,
      pass: async () => {
        const report = await deliverDue(deps, clock.now());
        // A full batch means more may be due right now.
        return report.sent + report.retried + report.failed + report.cancelled >= deps.batchSize;
      },
    });
  }
}
