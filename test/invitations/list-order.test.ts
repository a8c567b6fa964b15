import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { api, sql } from '../people/support.ts';
import { createInvitationWorld, invite, type InvitationWorld } from './support.ts';

type Listed = { id: string; email: string };

/** Every page of GET /invitations?limit=…, following nextCursor to the end. */
async function allPages(w: InvitationWorld, limit: number): Promise<Listed[]> {
  const seen: Listed[] = [];
  let cursor: string | null = null;
  do {
    const res = await api(w.t, w.acme).get(`/invitations?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    seen.push(...(res.body.invitations as Listed[]));
    cursor = res.body.nextCursor as string | null;
  } while (cursor);
  return seen;
}

/**
 * Invitations made in the same millisecond (one request inviting many, a CSV import's bulk
 * invitations: one `created_at`) still have one order: newest first is by the uuidv7 id, unique,
 * which is also the cursor, so paging neither skips nor repeats one.
 */
describe('invitations: the list order of invitations made at the same instant', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;

  before(async () => {
    w = await createInvitationWorld(clock);
  });
  after(() => w.close());

  it('pages through invitations with equal created_at without losing or repeating one, in the order of one whole page', async () => {
    const emails = Array.from({ length: 7 }, (_, n) => `same${n}@acme.test`);
    await invite(w, w.acme, { emails: emails.join(', ') });
    clock.advance(1000);
    await invite(w, w.acme, { emails: 'later@acme.test' });
    await sql(w.t, `update invitations set created_at = ? where org_id = ? and email like 'same%'`, [new Date('2026-12-01T09:00:00Z'), w.acme.id]);
    const whole = await allPages(w, 100);
    assert.equal(whole.length, 8);
    assert.equal(whole[0]!.email, 'later@acme.test', 'newest first');
    for (const limit of [1, 2, 3]) {
      const paged = await allPages(w, limit);
      assert.deepEqual(paged.map((i) => i.id), whole.map((i) => i.id), `limit ${limit}`);
    }
    assert.deepEqual([...new Set(whole.map((i) => i.email))].sort(), [...emails, 'later@acme.test'].sort());
  });

  it('lists the invitations of one request listing several addresses newest first: the reverse of the request order', async () => {
    const emails = Array.from({ length: 12 }, (_, n) => `order${String(n).padStart(2, '0')}@acme.test`);
    // Not sorted: the request's order, not the addresses' sort order, is the creation order.
    const requested = [...emails.slice(6), ...emails.slice(0, 6)];
    const body = await invite(w, w.acme, { emails: requested.join(', ') });
    assert.deepEqual(body.sent.map((s) => s.email), requested);
    const listed = (await allPages(w, 100)).filter((i) => i.email.startsWith('order'));
    assert.deepEqual(listed.map((i) => i.email), [...requested].reverse());
    const paged = (await allPages(w, 5)).filter((i) => i.email.startsWith('order'));
    assert.deepEqual(paged.map((i) => i.email), [...requested].reverse(), 'the same order page by page');
    const exported = await api(w.t, w.acme).get('/exports/invitations.csv');
    assert.equal(exported.status, 200, exported.text);
    const oldestFirst = exported.text.match(/order\d\d@acme\.test/g);
    assert.deepEqual(oldestFirst, requested, 'the export lists them oldest first, in the request order');
  });

  it('exports each invitation made at the same instant once', async () => {
    const res = await api(w.t, w.acme).get('/exports/invitations.csv');
    assert.equal(res.status, 200, res.text);
    const lines = res.text.trim().split(/\r?\n/).slice(1);
    const addresses = lines.map((line) => /[\w.]+@acme\.test/.exec(line)?.[0]);
    assert.equal(addresses.filter((a) => !a?.startsWith('order')).length, 8);
    assert.equal(new Set(addresses).size, addresses.length);
  });
});
