import assert from 'node:assert/strict';
import request from 'supertest';
import type { Clock } from '../../src/lib/clock.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { startSmtpCapture, type SmtpCapture } from '../mail/support/smtp.ts';
import { api } from '../people/support.ts';

export const STRONG_PASSWORD = 'Blue-Harbor-Lamp-42';

export interface InvitationWorld {
  t: TestApp;
  smtp: SmtpCapture;
  acme: SeededOrg;
  globex: SeededOrg;
  close(): Promise<void>;
}

/** An app that mails over real SMTP (captured on 127.0.0.1:0), with two orgs and a movable clock. */
export async function createInvitationWorld(clock: Clock): Promise<InvitationWorld> {
  const smtp = await startSmtpCapture();
  const t = await createTestApp({
    clock,
    config: { smtpUrl: smtp.url, auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } },
  });
  const acme = await seedOrg(t.container, 'acme');
  const globex = await seedOrg(t.container, 'globex');
  return {
    t,
    smtp,
    acme,
    globex,
    async close() {
      await t.close();
      await smtp.close();
    },
  };
}

/** The token in the last invitation mail the SMTP server received for `address`. */
export function inviteTokenFor(smtp: SmtpCapture, address: string): string {
  const texts = smtp.textsTo(address);
  const text = texts[texts.length - 1];
  if (!text) throw new Error(`no mail to ${address}`);
  const match = /https:\/\/gatehouse\.test\/invitations\/(gh_invite_[A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error(`no invitation link in:\n${text}`);
  return match[1]!;
}

/** Invites through the admin API and delivers the mail; returns the answer's body. */
export async function invite(w: InvitationWorld, org: SeededOrg, body: Record<string, unknown>): Promise<Record<string, unknown> & { sent: Array<{ email: string; invitationId: string; userId: string }>; notSent: Array<{ email: string; reason: string }> }> {
  const res = await api(w.t, org).post('/invitations', body);
  assert.ok(res.status === 201 || res.status === 200, `${res.status} ${JSON.stringify(res.body)}`);
  await w.t.container.outbox.deliverDue();
  return res.body;
}

export function register(w: InvitationWorld, token: string, fields: Record<string, string> = {}) {
  return request(w.t.app)
    .post(`/invitations/${token}`)
    .type('form')
    .send({ givenName: 'Ann', familyName: 'Lee', phone: '+44 7700 900123', password: STRONG_PASSWORD, confirmPassword: STRONG_PASSWORD, eula: 'accepted', ...fields });
}
