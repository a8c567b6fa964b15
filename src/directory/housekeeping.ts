import type { Em } from '../db/orm.ts';
import { forgetExpiredWebhookSecrets } from './webhook-secret-rotation.ts';

const DAY_MS = 86_400_000;

export interface PrunedCounts {
  mails: number;
  sessions: number;
  challenges: number;
  resets: number;
  imports: number;
  /** Refused SCIM requests kept for the org's admins (scim-problems.ts). */
  scimProblems: number;
  /** Previous webhook secrets whose grace period is over (cleared at once, not after keepDays). */
  webhookSecrets: number;
}

/**
 * Records whose use is over, older than `keepDays`: without this they would
 * only ever grow. Each statement deletes at most `batchSize` rows and runs on
 * its own (no long lock); a row still in use is never touched.
 * - mail that left the outbox (sent, failed for good, cancelled);
 * - sessions that expired or were ended;
 * - two-factor challenges and password-reset links past their expiry;
 * - CSV imports previewed or committed and untouched since (their preview rows
 *   go with them); one still `committing` stays, it resumes. The audit trail
 *   keeps what each import did;
 * - SCIM requests refused for an org's IdP (also capped per org as they are
 *   recorded: scim-problems.ts);
 * - a rolled webhook secret whose grace period is over (it signs nothing
 *   from then on; kept no longer than this pass).
 */
export async function pruneSpentRecords(em: Em, now: Date, keepDays: number, batchSize = 5000): Promise<PrunedCounts> {
  const cutoff = new Date(now.getTime() - keepDays * DAY_MS);
  // `spent` compares times with the cutoff: each `?` in it is the cutoff.
  const prune = async (table: string, spent: string, limit = batchSize) => {
    const cutoffs = Array.from(spent.matchAll(/\?/g), () => cutoff);
    let total = 0;
    for (;;) {
      const rows = await em.execute(`delete from ${table} where id in (select id from ${table} where ${spent} limit ?) returning 1`, [...cutoffs, limit]);
      total += rows.length;
      if (rows.length < limit) return total;
    }
  };
  return {
    mails: await prune('outbox_messages', 'sent_at < ? or failed_at < ? or cancelled_at < ?'),
    sessions: await prune('sessions', 'expires_at < ? or revoked_at < ?'),
    challenges: await prune('mfa_challenges', 'expires_at < ?'),
    resets: await prune('password_resets', 'expires_at < ?'),
    // An import's preview rows (up to the file's row count) go by cascade: a few imports at a time.
    imports: await prune('csv_imports', `status in ('previewed', 'committed') and updated_at < ?`, 10),
    scimProblems: await prune('scim_problems', 'at < ?'),
    webhookSecrets: await forgetExpiredWebhookSecrets(em, now),
  };
}
