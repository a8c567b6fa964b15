import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { parseInput } from '../validate.ts';
import {
  invitationStatuses,
  inviteMany,
  listInvitations,
  resendInvitation,
  revokeInvitation,
  getInvitation,
  type InvitationRecord,
} from '../../directory/invitations.ts';
import { inTransaction } from './in-transaction.ts';

const inviteBody = z.strictObject({
  emails: z.union([z.string().max(100_000, 'is too long'), z.array(z.string().max(1000, 'is too long')).max(500, 'must list at most 500 addresses')], {
    error: 'must be a string of addresses (separated by new lines, commas, semicolons or spaces) or a list of them',
  }),
  name: z.string().max(300, 'must be at most 300 characters').optional(),
  groups: z
    .array(z.strictObject({ id: z.string().max(100), role: z.string().max(50) }), { error: 'must be a list of {id, role}' })
    .max(100, 'must list at most 100 groups')
    .default([]),
  message: z.string().max(2000, 'must be at most 2000 characters').optional(),
});

const listQuery = z.strictObject({
  status: z.enum(invitationStatuses, { error: `must be one of ${invitationStatuses.join(', ')}` }).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});

/** An invitation as the admin API shows it (CONVENTIONS 6). */
export function toInvitationView(invitation: InvitationRecord) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: invitation.id,
    userId: invitation.userId,
    email: invitation.email,
    name: invitation.name,
    status: invitation.status,
    undeliverable: invitation.undeliverableAt !== null,
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
    acceptedAt: iso(invitation.acceptedAt),
    revokedAt: iso(invitation.revokedAt),
    undeliverableAt: iso(invitation.undeliverableAt),
    memberships: invitation.memberships,
  };
}

/** /api/orgs/:org/invitations: invite (one or a pasted list), list, read, resend, revoke. One transaction per request. */
export function invitationAdminRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  const deps = { publicUrl: container.config.publicUrl };
  const now = () => container.clock.now();
  const id = (params: Record<string, unknown>) => String(params.id ?? '');

  router.post('/invitations', async (req, res) => {
    const body = parseInput(inviteBody, req.body);
    const input = { emails: body.emails, name: body.name, message: body.message, groups: body.groups.map((g) => ({ groupId: g.id, role: g.role })) };
    const result = await inTransaction(req, (tx) => inviteMany(tx, deps, scopeFor(req), input, now()));
    if (result.sent.length) container.outbox.worker.nudge();
    res.status(result.sent.length ? 201 : 200).json(result);
  });

  router.get('/invitations', async (req, res) => {
    const query = parseInput(listQuery, req.query, 'query');
    const page = await inTransaction(req, (tx) => listInvitations(tx, scopeFor(req), { status: query.status, beforeId: query.cursor, limit: query.limit }, now()));
    res.json({ invitations: page.invitations.map(toInvitationView), nextCursor: page.nextCursor });
  });

  router.get('/invitations/:id', async (req, res) => {
    const invitation = await inTransaction(req, (tx) => getInvitation(tx, scopeFor(req), id(req.params), now()));
    res.json(toInvitationView(invitation));
  });

  router.post('/invitations/:id/resend', async (req, res) => {
    const invitation = await inTransaction(req, (tx) => resendInvitation(tx, deps, scopeFor(req), id(req.params), now()));
    container.outbox.worker.nudge();
    res.json(toInvitationView(invitation));
  });

  const revoke = async (req: Request, res: Response) => {
    const invitation = await inTransaction(req, (tx) => revokeInvitation(tx, scopeFor(req), id(req.params), now()));
    res.json(toInvitationView(invitation));
  };
  router.post('/invitations/:id/revoke', revoke);
  router.delete('/invitations/:id', revoke);
  return router;
}
