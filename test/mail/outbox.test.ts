import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { OutboxMessage } from '../../src/db/entities/index.ts';
import { deliverDue, enqueueMail, retryDelayMs, type OutboxDeps, type OutboxMessageView, type PermanentFailure } from '../../src/directory/outbox.ts';
import { createMailer } from '../../src/lib/mailer.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { usingPostgres } from '../support/db.ts';
import { addUser } from '../people/support.ts';
import request from 'supertest';
import { startSmtpCapture, type SmtpCapture } from './support/smtp.ts';

describe('mail outbox: committed mail is delivered after commit, with retries', () => {
  let t: TestApp;
  let smtp: SmtpCapture;
  let org: SeededOrg;
  const t0 = new Date('2026-12-01T09:00:00Z');
  const retry = { maxAttempts: 4, baseDelayMs: 60_000, maxDelayMs: 600_000, jitter: 0 };
  let failures: Array<{ message: OutboxMessageView; failure: PermanentFailure }>;
  let deps: OutboxDeps;

  before(async () => {
    smtp = await startSmtpCapture();
    t = await createTestApp({ config: { smtpUrl: smtp.url } });
    org = await seedOrg(t.container, 'mailco');
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });
  beforeEach(async () => {
    smtp.rcpt = () => undefined;
    smtp.received.length = 0;
    failures = [];
    await t.container.fork().execute('delete from outbox_messages');
    deps = {
      ...t.container.outbox.deps,
      retry,
      onPermanentFailure: async (em, message, failure) => {
        // Runs inside the transaction that marks the message failed.
        assert.ok(em.isInTransaction());
        failures.push({ message, failure });
      },
    };
  });

  const enqueue = (to: string, extra: Partial<Parameters<typeof enqueueMail>[1]> = {}) =>
    t.container.fork().transactional((tx) => enqueueMail(tx, { orgId: org.id, to, subject: 'Hello', text: 'Body https://gatehouse.test/x', kind: 'test', related: { invitationId: 'inv-1' }, ...extra }, t0));
  const row = (id: string) => t.container.fork().findOneOrFail(OutboxMessage, { id });

  it('delivers a committed message over real SMTP once and marks it sent', async () => {
    const id = await enqueue('ann@mailco.test');
    assert.deepEqual(await deliverDue(deps, t0), { sent: 1, retried: 0, failed: 0, cancelled: 0 });
    assert.equal(smtp.received.length, 1);
    assert.deepEqual(smtp.received[0]!.to, ['ann@mailco.test']);
    assert.match(smtp.received[0]!.raw, /Subject: Hello/);
    assert.ok((await row(id)).sentAt);
    assert.deepEqual(await deliverDue(deps, new Date(t0.getTime() + 3_600_000)), { sent: 0, retried: 0, failed: 0, cancelled: 0 });
    assert.equal(smtp.received.length, 1);
  });

  it('keeps no body with its one-time link once a message is sent, refused or cancelled: only who, what and when', async () => {
    const link = 'https://gatehouse.test/invitations/gh_invite_SECRETtoken123';
    const sent = await enqueue('sent@mailco.test', { text: `Join: ${link}`, html: `<a href="${link}">Join</a>` });
    const refused = await enqueue('refused@mailco.test', { text: `Join: ${link}`, related: { invitationId: 'inv-refused' } });
    const cancelled = await enqueue('cancelled@mailco.test', { text: `Join: ${link}`, related: { invitationId: 'inv-cancelled' } });
    const pending = await t.container.fork().transactional((tx) =>
      enqueueMail(tx, { orgId: org.id, to: 'later@mailco.test', subject: 'Hello', text: `Join: ${link}`, kind: 'test' }, new Date(t0.getTime() + 3_600_000)));
    smtp.rcpt = (address) => (address === 'refused@mailco.test' ? { code: 550, message: 'No such user here' } : undefined);
    const checked = { ...deps, cancelReason: async (em: unknown, message: OutboxMessageView) => (message.related.invitationId === 'inv-cancelled' ? 'invitation revoked (admin)' : null) };
    assert.deepEqual(await deliverDue(checked, t0), { sent: 1, retried: 0, failed: 1, cancelled: 1 });
    assert.match(smtp.received[0]!.raw, /gh_invite_SECRETtoken123/, 'the recipient got the link');
    for (const id of [sent, refused, cancelled]) {
      const stored = await row(id);
      assert.ok(!JSON.stringify(stored).includes('SECRETtoken'), `${stored.to} kept its link`);
      assert.equal(stored.subject, 'Hello');
      assert.equal(stored.html, null);
    }
    assert.match((await row(pending)).text, /gh_invite_SECRETtoken123/, 'a message not yet sent keeps what it will send');
  });

  it('sends nothing for a message whose transaction rolled back', async () => {
    await assert.rejects(
      t.container.fork().transactional(async (tx) => {
        await enqueueMail(tx, { to: 'ghost@mailco.test', subject: 'x', text: 'x', kind: 'test' }, t0);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.deepEqual(await deliverDue(deps, t0), { sent: 0, retried: 0, failed: 0, cancelled: 0 });
  });

  it('does not send a message before it is due', async () => {
    await enqueue('later@mailco.test');
    assert.deepEqual(await deliverDue(deps, new Date(t0.getTime() - 1)), { sent: 0, retried: 0, failed: 0, cancelled: 0 });
  });

  it('cancels, without sending, a message the send-time check says is no longer wanted, and keeps why', async () => {
    const unwanted = await enqueue('stale@mailco.test', { related: { invitationId: 'inv-stale' } });
    const wanted = await enqueue('fresh@mailco.test', { related: { invitationId: 'inv-fresh' } });
    const checked = { ...deps, cancelReason: async (em: unknown, message: OutboxMessageView) => (message.related.invitationId === 'inv-stale' ? 'invitation revoked (admin)' : null) };
    assert.deepEqual(await deliverDue(checked, t0), { sent: 1, retried: 0, failed: 0, cancelled: 1 });
    assert.deepEqual(smtp.received.flatMap((m) => m.to), ['fresh@mailco.test']);
    const stored = await row(unwanted);
    assert.ok(stored.cancelledAt);
    assert.equal(stored.cancelReason, 'invitation revoked (admin)');
    assert.equal(stored.sentAt, null);
    assert.equal(stored.failedAt, null);
    assert.ok((await row(wanted)).sentAt);
    assert.deepEqual(await deliverDue(checked, new Date(t0.getTime() + 86_400_000)), { sent: 0, retried: 0, failed: 0, cancelled: 0 });
  });

  it('claims password-reset and sign-in-code mail before a queue of many invitation mails queued earlier', async () => {
    const emails = Array.from({ length: 120 }, (_, i) => `bulk-inv${i}@mailco.test`);
    const invited = await request(t.app).post(`/api/orgs/${org.slug}/invitations`).set('Authorization', `Bearer ${org.tokens.admin}`).send({ emails });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const userId = await addUser(t, org, { userName: 'forgot@mailco.test' });
    await request(t.app).post(`/api/orgs/${org.slug}/users/${userId}/password-reset`).set('Authorization', `Bearer ${org.tokens.admin}`).expect(202);
    // A sign-in code, queued the way mfa-challenges.ts queues it (no priority given: transactional).
    await t.container.fork().transactional((tx) => enqueueMail(tx, { orgId: org.id, to: 'code@mailco.test', subject: 'Your Gatehouse sign-in code', text: 'Code 123456', kind: 'mfa_code' }, new Date()));
    const later = new Date(Date.now() + 60_000);
    const one = { ...deps, batchSize: 1 };
    assert.equal((await deliverDue(one, later)).sent, 1);
    assert.equal((await deliverDue(one, later)).sent, 1);
    assert.deepEqual(smtp.received.flatMap((m) => m.to).sort(), ['code@mailco.test', 'forgot@mailco.test'], 'the two transactional mails leave first');
    assert.equal((await deliverDue({ ...deps, batchSize: 500 }, later)).sent, 120);
  });

  it('marks a message failed for good and calls onPermanentFailure when the server answers 550', async () => {
    smtp.rcpt = (address) => (address === 'nobody@mailco.test' ? { code: 550, message: 'No such user here' } : undefined);
    const id = await enqueue('nobody@mailco.test');
    assert.deepEqual(await deliverDue(deps, t0), { sent: 0, retried: 0, failed: 1, cancelled: 0 });
    const stored = await row(id);
    assert.ok(stored.failedAt);
    assert.equal(stored.sentAt, null);
    assert.match(String(stored.lastError), /550/);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.failure.reason, 'refused');
    assert.equal(failures[0]!.failure.responseCode, 550);
    assert.equal(failures[0]!.message.related.invitationId, 'inv-1');
    // Never tried again.
    assert.deepEqual(await deliverDue(deps, new Date(t0.getTime() + 86_400_000)), { sent: 0, retried: 0, failed: 0, cancelled: 0 });
  });

  it('retries a 451 with exponential back-off, driven by deliverDue and the clock', async () => {
    smtp.rcpt = () => ({ code: 451, message: 'Try again later' });
    const id = await enqueue('busy@mailco.test');
    assert.deepEqual(await deliverDue(deps, t0), { sent: 0, retried: 1, failed: 0, cancelled: 0 });
    assert.equal((await row(id)).nextAttemptAt.getTime(), t0.getTime() + 60_000);
    assert.equal((await deliverDue(deps, new Date(t0.getTime() + 59_999))).retried, 0);
    const t1 = new Date(t0.getTime() + 60_000);
    assert.equal((await deliverDue(deps, t1)).retried, 1);
    assert.equal((await row(id)).nextAttemptAt.getTime(), t1.getTime() + 120_000);
    smtp.rcpt = () => undefined;
    const t2 = new Date(t1.getTime() + 120_000);
    assert.deepEqual(await deliverDue(deps, t2), { sent: 1, retried: 0, failed: 0, cancelled: 0 });
    const stored = await row(id);
    assert.equal(stored.attempts, 3);
    assert.ok(stored.sentAt);
    assert.equal(failures.length, 0);
  });

  it('gives up after maxAttempts temporary failures and calls the hook with reason exhausted', async () => {
    smtp.rcpt = () => ({ code: 451, message: 'Try again later' });
    const id = await enqueue('never@mailco.test');
    let now = t0.getTime();
    for (let attempt = 1; attempt < retry.maxAttempts; attempt++) {
      assert.equal((await deliverDue(deps, new Date(now))).retried, 1);
      now += retryDelayMs(attempt, retry);
    }
    assert.equal((await deliverDue(deps, new Date(now))).failed, 1);
    assert.ok((await row(id)).failedAt);
    assert.equal(failures[0]?.failure.reason, 'exhausted');
  });

  it('computes capped exponential delays with bounded jitter', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5 };
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 0)), [1000, 2000, 4000, 5000, 5000]);
    assert.equal(retryDelayMs(1, policy, () => 1), 1500);
  });

  it('retries a message when the SMTP server cannot be reached', async () => {
    const down = { ...deps, mailer: createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'x@y.test', outboxDir: '', logger: createLogger('silent') }) };
    await enqueue('ann@mailco.test');
    assert.deepEqual(await deliverDue(down, t0), { sent: 0, retried: 1, failed: 0, cancelled: 0 });
  });

  it('lets two workers claiming at once deliver each message exactly once', async function () {
    if (!usingPostgres) this.skip(); // PGlite has one connection: there is no concurrency to test.
    for (let i = 0; i < 30; i++) await enqueue(`bulk${i}@mailco.test`);
    const [a, b] = await Promise.all([deliverDue({ ...deps, batchSize: 100 }, t0), deliverDue({ ...deps, batchSize: 100 }, t0)]);
    assert.equal(a.sent + b.sent, 30);
    assert.ok(a.sent > 0 && b.sent > 0, `both workers took a share (${a.sent}/${b.sent})`);
    const recipients = smtp.received.flatMap((m) => m.to);
    assert.equal(recipients.length, 30);
    assert.equal(new Set(recipients).size, 30);
  });

  it('writes .eml files to DATA_DIR/outbox and logs the file, never the text with its link, when SMTP_URL is unset', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-outbox-'));
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    try {
      const mailer = createMailer({ from: 'Gatehouse <no-reply@gatehouse.test>', outboxDir: path.join(dir, 'outbox'), logger: createLogger('info', sink) });
      assert.equal(mailer.kind, 'file');
      await enqueue('file@mailco.test', { text: 'Open https://gatehouse.test/auth/password/reset/gh_reset_abc' });
      assert.equal((await deliverDue({ ...deps, mailer }, t0)).sent, 1);
      const files = await readdir(path.join(dir, 'outbox'));
      assert.equal(files.length, 1);
      assert.match(files[0]!, /\.eml$/);
      const eml = await readFile(path.join(dir, 'outbox', files[0]!), 'utf8');
      assert.match(eml, /To: file@mailco\.test/);
      assert.match(eml, /gh_reset_abc/);
      // Links are secrets (issue 9): the log names the file that holds the mail.
      assert.ok(lines.some((l) => l.includes(files[0]!)), 'the file is named in the log');
      assert.ok(!lines.some((l) => l.includes('gh_reset_abc')), 'the link is in the log');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
