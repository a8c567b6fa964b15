import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { api, sql } from '../people/support.ts';
import { asPerson, signIn } from '../admin/support.ts';
import { createInvitationWorld, invite, type InvitationWorld } from './support.ts';

const DAY = 86_400_000;

/** Everything the org's stores say, as one text: invitations, mails, the audit trail and the change feed. */
async function orgText(w: InvitationWorld, orgId: string): Promise<string> {
  const invitations = await sql(w.t, 'select email, name, message, invited_by_label from invitations where org_id = ?', [orgId]);
  const audit = await sql(w.t, 'select actor_label, target_label, details from audit_events where org_id = ?', [orgId]);
  const events = await sql(w.t, 'select actor, resource, data from events where org_id = ?', [orgId]);
  const mails = await sql(w.t, 'select "to", subject, text, html from outbox_messages where org_id = ?', [orgId]);
  return JSON.stringify({ invitations, audit, events, mails });
}

describe('purging a deleted person: their invitations', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;

  before(async () => {
    w = await createInvitationWorld(clock);
  });
  after(() => w.close());

  async function deleteLongAgo(userId: string, email: string): Promise<void> {
    await api(w.t, w.acme).delete(`/users/${userId}`, { confirmEmail: email }).expect(200);
    await sql(w.t, 'update users set deleted_at = ? where id = ?', [new Date(clock.now().getTime() - 31 * DAY), userId]);
  }

  it('forgets the inviter on the invitations they sent and in the feed, keeping who it was by id', async () => {
    const inviter = await signIn(w.t, w.acme, 'ines.inviter@acme.test', { permissions: ['users.invite'], now: clock.now() });
    await sql(w.t, `update users set display_name = 'Ines Inviter' where id = ?`, [inviter.userId]);
    const sent = await asPerson(w.t, w.acme, inviter)('post', '/invitations', { emails: 'guest@outside.test' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    await w.t.container.outbox.deliverDue();
    await w.t.container.events.publishAll();
    const [before] = await sql(w.t, 'select invited_by_label from invitations where email = ?', ['guest@outside.test']);
    assert.equal(before!.invited_by_label, 'ines.inviter@acme.test');
    assert.match(JSON.stringify(await sql(w.t, `select resource from events where type = 'invitation.sent' and org_id = ?`, [w.acme.id])), /"invitedBy":"ines\.inviter@acme\.test"/);

    await deleteLongAgo(inviter.userId, 'ines.inviter@acme.test');
    assert.equal((await w.t.container.purge.runOnce()).purged, 1);

    const text = await orgText(w, w.acme.id);
    for (const personal of ['Ines Inviter', 'ines.inviter']) assert.ok(!text.includes(personal), `${personal} left in ${text}`);
    const [row] = await sql(w.t, 'select invited_by_id, invited_by_label from invitations where email = ?', ['guest@outside.test']);
    assert.deepEqual(row, { invited_by_id: inviter.userId, invited_by_label: `purged user ${inviter.userId}` });
    const listed = await api(w.t, w.acme).get('/invitations').expect(200);
    const guest = listed.body.invitations.find((i: { email: string }) => i.email === 'guest@outside.test');
    assert.deepEqual(guest.invitedBy, { id: inviter.userId, label: `purged user ${inviter.userId}` });
  });

  it('removes the invitations of a purged invitee: their address, name and the inviter\'s message to them', async () => {
    const body = await invite(w, w.acme, { emails: 'Gone Person <gone.person@outside.test>', message: 'Hello Gone, see you soon' });
    const { userId } = body.sent[0]!;
    await api(w.t, w.acme).post(`/invitations/${body.sent[0]!.invitationId}/resend`).expect(200);
    await w.t.container.events.publishAll();
    await deleteLongAgo(userId, 'gone.person@outside.test');
    assert.equal((await w.t.container.purge.runOnce()).purged, 1);

    assert.equal((await sql(w.t, 'select count(*)::int as n from invitations where user_id = ?', [userId]))[0]!.n, 0);
    assert.equal((await sql(w.t, `select count(*)::int as n from outbox_messages where "to" = 'gone.person@outside.test'`))[0]!.n, 0);
    const text = await orgText(w, w.acme.id);
    for (const personal of ['gone.person', 'Gone Person', 'Hello Gone']) assert.ok(!text.includes(personal), `${personal} left in ${text}`);
    const listed = await api(w.t, w.acme).get('/invitations').expect(200);
    assert.equal(listed.body.invitations.filter((i: { userId?: string }) => i.userId === userId).length, 0);
  });
});
