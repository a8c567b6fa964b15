import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixedClock } from '../../src/lib/clock.ts';
import { purgeDeletedUsers } from '../../src/directory/people.ts';
import { recordAuditSql } from '../../src/directory/audit.ts';
import { anonymiseDetails } from '../../src/directory/audit-anonymise.ts';
import type { AuditEventView } from '../../src/directory/audit-queries.ts';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, scopeOf, sql } from '../people/support.ts';

const DAY = 86_400_000;
const SRC = path.resolve(import.meta.dirname, '../../src');
/** The purge's anonymiser is the one write to existing audit rows. */
const ANONYMISER = 'directory/audit-anonymise.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** SQL and MikroORM ways to change or remove audit rows. */
const writes: Array<[string, RegExp]> = [
  ['SQL update', /\bupdate\s+"?audit_events"?/i],
  ['SQL delete', /\bdelete\s+from\s+"?audit_events"?/i],
  ['SQL truncate', /\btruncate\b[^;`]*\baudit_events\b/i],
  ['ORM nativeUpdate/nativeDelete', /\bnative(Update|Delete)\s*\(\s*AuditEvent\b/],
  ['ORM query builder', /createQueryBuilder\s*\(\s*AuditEvent\b[\s\S]{0,200}?\.(update|delete|truncate)\s*\(/],
  ['ORM remove of an event', /\b(remove|removeAndFlush)\s*\(\s*(event|auditEvent|audit)\b/],
];

describe('the audit trail is append-only', () => {
  it('has no update or delete of audit events in src/ except the purge anonymiser', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const [kind, pattern] of writes) {
        if (!pattern.test(text)) continue;
        const relative = path.relative(SRC, file);
        if (relative === ANONYMISER && kind === 'SQL update') continue;
        found.push(`${relative}: ${kind}`);
      }
    }
    assert.deepEqual(found, []);
    assert.ok(writes[0]![1].test(readFileSync(path.join(SRC, ANONYMISER), 'utf8')), 'the anonymiser is where the scan expects it');
  });

  it('the scan recognises the writes it forbids', () => {
    const samples = [
      'await em.execute(`update audit_events set action = ?`)',
      "em.execute('DELETE FROM \"audit_events\" where id = ?')",
      'em.nativeDelete(AuditEvent, { id })',
      'em.nativeUpdate(AuditEvent, { id }, { action })',
      'em.createQueryBuilder(AuditEvent).delete({ id })',
      'em.remove(event)',
    ];
    for (const sample of samples) assert.ok(writes.some(([, p]) => p.test(sample)), sample);
  });

  describe('in the database', () => {
    let t: TestApp;
    let acme: SeededOrg;

    before(async () => {
      t = await createPeopleTestApp();
      acme = await seedOrg(t.container, 'acme');
      await addUser(t, acme, { userName: 'kept@acme.test' });
    });
    after(() => t.close());

    it('refuses to delete an audit event', async () => {
      await assert.rejects(sql(t, 'delete from audit_events where org_id = ?', [acme.id]), /append-only/);
    });

    it('refuses to rewrite what happened (action, time, actor, target)', async () => {
      for (const set of [`action = 'user.nothing'`, `at = now() - interval '1 day'`, `actor_id = 'someone'`, `target_id = 'else'`]) {
        await assert.rejects(sql(t, `update audit_events set ${set} where org_id = ?`, [acme.id]), /append-only/, set);
      }
    });

    it("lets an organization's deletion take its events with it", async () => {
      const gone = await seedOrg(t.container, 'gone');
      await addUser(t, gone, { userName: 'x@gone.test' });
      await sql(t, 'delete from api_tokens where org_id = ?', [gone.id]);
      await sql(t, 'delete from users where org_id = ?', [gone.id]);
      await sql(t, 'delete from organizations where id = ?', [gone.id]);
      assert.equal((await sql(t, 'select count(*)::int as n from audit_events where org_id = ?', [gone.id]))[0]!.n, 0);
      assert.ok(Number((await sql(t, 'select count(*)::int as n from audit_events where org_id = ?', [acme.id]))[0]!.n) > 0);
    });
  });
});

describe('the 30-day purge anonymises the audit trail', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp(clock);
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  after(() => t.close());

  it('keeps every event of a purged person, replacing their labels, personal details, IP and browser', async () => {
    const id = await addUser(t, acme, { userName: 'zoe@acme.test', givenName: 'Zoe', familyName: 'Zimmer' });
    const groupId = randomUUID();
    await api(t, acme).patch(`/users/${id}`, { title: 'Head Nurse', phone: '+1 555 0199' }).expect(200);
    const asZoe = { ...scopeOf(acme), actor: { type: 'user' as const, id, label: 'zoe@acme.test' }, ip: '203.0.113.9', userAgent: 'ZoeBrowser/1' };
    await recordAuditSql(t.container.fork(), asZoe, {
      action: 'group.updated',
      target: { type: 'group', id: groupId, label: 'Night shift' },
      details: { changes: { description: { from: null, to: 'Ward 5 nights' } }, note: 'asked by zoe@acme.test and sam@acme.test' },
    });
    await recordAuditSql(t.container.fork(), asZoe, { action: 'auth.login', target: { type: 'user', id, label: 'zoe@acme.test' }, details: { method: 'password', email: 'ZOE@acme.test' } });
    // Another org's profile with the same address is someone else's data: untouched.
    const other = await addUser(t, globex, { userName: 'zoe@acme.test' });
    const count = async () => Number((await sql(t, 'select count(*)::int as n from audit_events where org_id = ?', [acme.id]))[0]!.n);
    await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'zoe@acme.test' }).expect(200);
    const before = await count();
    const adminEventsBefore = await sql(t, `select id, actor_label, ip, user_agent from audit_events where org_id = ? and actor_type = 'admin_token' and target_id = ? order by id`, [acme.id, id]);

    clock.advance(31 * DAY);
    assert.equal((await purgeDeletedUsers(t.container.fork(), clock.now())).purged, 1);

    assert.equal(await count(), before + 1, 'no event deleted, one user.purged added');
    const res = await api(t, acme).get(`/users/${id}/activity?limit=200`).expect(200);
    const activity = res.body.events as AuditEventView[];
    const text = JSON.stringify(activity);
    for (const personal of ['zoe@', 'ZOE@', 'Zoe', 'Zimmer', 'Head Nurse', '555 0199', '203.0.113.9', 'ZoeBrowser', 'sam@acme.test']) {
      assert.ok(!text.includes(personal), `${personal} left in ${text}`);
    }
    const placeholder = `purged user ${id}`;
    assert.equal(activity[0]!.action, 'user.purged');
    assert.ok(activity.filter((e) => e.target?.id === id).every((e) => e.target!.label === placeholder));
    const login = activity.find((e) => e.action === 'auth.login')!;
    assert.deepEqual(login.actor, { type: 'user', id, label: placeholder });
    assert.deepEqual(login.details, { method: 'password', email: placeholder });
    assert.equal(login.ip, null);
    assert.equal(login.userAgent, null);
    const edit = activity.find((e) => e.action === 'user.updated')!;
    assert.deepEqual(edit.changes, { title: { before: placeholder, after: placeholder }, phoneNumbers: { before: placeholder, after: placeholder } });
    const groupEdit = activity.find((e) => e.action === 'group.updated')!;
    assert.deepEqual(groupEdit.changes, { description: { before: null, after: 'Ward 5 nights' } }, 'a change they made to something else stays');
    assert.equal(groupEdit.details.note, `asked by ${placeholder} and [email removed]`);
    assert.equal(groupEdit.target!.label, 'Night shift');

    // The admin who acted on them keeps their own label, IP and browser.
    assert.deepEqual(await sql(t, `select id, actor_label, ip, user_agent from audit_events where org_id = ? and actor_type = 'admin_token' and target_id = ? order by id`, [acme.id, id]), adminEventsBefore);
    const theirs = await sql(t, 'select target_label from audit_events where org_id = ? and target_id = ?', [globex.id, other]);
    assert.ok(theirs.length >= 1 && theirs.every((r) => r.target_label === 'zoe@acme.test'));
  });

  it('replaces only whole personal values and email addresses inside details', () => {
    const person = { userId: 'u1', personalValues: ['Ann Lee', 'ann@x.test', 'a'] };
    assert.deepEqual(anonymiseDetails({ reason: 'ann lee', source: 'admin', n: 3, list: ['a', 'ann@x.test'], nested: { by: 'Ann Leeward' } }, person, { aboutThem: false }), {
      reason: 'purged user u1', source: 'admin', n: 3, list: ['a', 'purged user u1'], nested: { by: 'Ann Leeward' },
    });
  });
});
