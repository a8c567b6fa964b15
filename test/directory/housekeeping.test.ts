import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, sql } from '../people/support.ts';

const DAY = 86_400_000;

/**
 * Records whose use is over — mail that left the outbox, ended sessions, spent
 * sign-in challenges and reset links, finished CSV imports — go after
 * `purge.keepSpentDays` (30), so the tables do not grow for ever; anything
 * still in use, or still in the window, stays.
 */
describe('the daily housekeeping of spent records', () => {
  const now = new Date('2026-12-01T09:00:00Z');
  const old = new Date(now.getTime() - 31 * DAY);
  const recent = new Date(now.getTime() - 29 * DAY);
  const future = new Date(now.getTime() + DAY);
  let t: TestApp;
  let org: SeededOrg;
  let userId: string;

  before(async () => {
    t = await createTestApp();
    org = await seedOrg(t.container, 'tidy');
    userId = await addUser(t, org, { userName: 'tidy@example.com' });
  });
  after(() => t.close());

  async function outbox(label: string, times: { sent?: Date; failed?: Date; cancelled?: Date }, created = old): Promise<void> {
    await sql(t, `insert into outbox_messages (id, created_at, updated_at, org_id, "to", subject, text, kind, next_attempt_at, sent_at, failed_at, cancelled_at)
      values (?, ?, ?, ?, ?, 'subject', 'text', 'test', ?, ?, ?, ?)`,
    [randomUUID(), created, created, org.id, `${label}@example.com`, created, times.sent ?? null, times.failed ?? null, times.cancelled ?? null]);
  }
  async function session(label: string, expires: Date, revoked: Date | null): Promise<void> {
    await sql(t, `insert into sessions (id, created_at, updated_at, org_id, user_id, token_hash, method, last_seen_at, expires_at, revoked_at, user_agent)
      values (?, ?, ?, ?, ?, ?, 'password', ?, ?, ?, ?)`,
    [randomUUID(), old, old, org.id, userId, randomUUID(), old, expires, revoked, label]);
  }
  async function challenge(label: string, expires: Date): Promise<void> {
    await sql(t, `insert into mfa_challenges (id, created_at, updated_at, token_hash, email, org_id, user_id, purpose, expires_at, attempts)
      values (?, ?, ?, ?, ?, ?, ?, 'verify', ?, 0)`, [randomUUID(), old, old, randomUUID(), `${label}@example.com`, org.id, userId, expires]);
  }
  async function reset(label: string, expires: Date): Promise<void> {
    await sql(t, `insert into password_resets (id, created_at, updated_at, email, token_hash, expires_at, requested_by)
      values (?, ?, ?, ?, ?, ?, 'test')`, [randomUUID(), old, old, `${label}@example.com`, randomUUID(), expires]);
  }
  async function csvImport(label: string, status: string, updated: Date): Promise<string> {
    const id = randomUUID();
    await sql(t, `insert into csv_imports (id, created_at, updated_at, org_id, mode, status, file_name, encoding, delimiter, options, columns, counts,
      disable_count, enabled_count, needs_force, total, processed, progress, created_by_label, version)
      values (?, ?, ?, ?, 'upsert', ?, ?, 'utf-8', ',', '{}', '{}', '{}', 0, 0, false, 1, 0, '{}', 'test', 1)`, [id, old, updated, org.id, status, label]);
    await sql(t, `insert into csv_import_rows (import_id, row_number, line, action, label) values (?, 1, 2, 'create', 'x@example.com')`, [id]);
    return id;
  }

  it('deletes what was spent before the window and keeps the rest', async () => {
    await outbox('sent-old', { sent: old });
    await outbox('failed-old', { failed: old });
    await outbox('cancelled-old', { cancelled: old });
    await outbox('sent-recent', { sent: recent });
    await outbox('queued-old', {});
    await session('expired-old', old, null);
    await session('revoked-old', future, old);
    await session('expired-recent', recent, null);
    await session('live', future, null);
    await challenge('challenge-old', old);
    await challenge('challenge-recent', recent);
    await reset('reset-old', old);
    await reset('reset-live', future);
    const committedOld = await csvImport('committed-old', 'committed', old);
    await csvImport('previewed-old', 'previewed', old);
    await csvImport('committing-old', 'committing', old);
    await csvImport('committed-recent', 'committed', recent);

    const pruned = await t.container.purge.pruneOnce(now);
    assert.deepEqual(pruned, { mails: 3, sessions: 2, challenges: 1, resets: 1, imports: 2, scimProblems: 0, webhookSecrets: 0 });

    assert.deepEqual((await sql(t, 'select "to" from outbox_messages where org_id = ? order by 1', [org.id])).map((r) => r.to), ['queued-old@example.com', 'sent-recent@example.com']);
    assert.deepEqual((await sql(t, 'select user_agent from sessions where user_id = ? order by 1', [userId])).map((r) => r.user_agent), ['expired-recent', 'live']);
    assert.deepEqual((await sql(t, 'select email from mfa_challenges where user_id = ?', [userId])).map((r) => r.email), ['challenge-recent@example.com']);
    assert.deepEqual((await sql(t, `select email from password_resets where email like 'reset-%' order by 1`)).map((r) => r.email), ['reset-live@example.com']);
    assert.deepEqual((await sql(t, 'select file_name from csv_imports where org_id = ? order by 1', [org.id])).map((r) => r.file_name), ['committed-recent', 'committing-old'], 'a commit that is still running (or will resume) stays');
    assert.equal((await sql(t, 'select count(*)::int as n from csv_import_rows where import_id = ?', [committedOld]))[0]!.n, 0);

    assert.deepEqual(await t.container.purge.pruneOnce(now), { mails: 0, sessions: 0, challenges: 0, resets: 0, imports: 0, scimProblems: 0, webhookSecrets: 0 }, 'a second run finds nothing');
  });
});
