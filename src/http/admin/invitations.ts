import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { inviteMany, resendInvitation, revokeInvitation } from '../../directory/invitations.ts';
import { getInvitation, invitationStatuses, listInvitations, type InvitationRecord } from '../../directory/invitation-records.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, requirePermission, type ApiRoute } from './route.ts';
import { allows } from '../../directory/permissions.ts';

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
    revokedReason: invitation.revokedReason,
    undeliverable: invitation.undeliverableAt !== null,
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
    acceptedAt: iso(invitation.acceptedAt),
    revokedAt: iso(invitation.revokedAt),
    undeliverableAt: iso(invitation.undeliverableAt),
    supersededBy: invitation.supersededBy,
    memberships: invitation.memberships,
  };
}

const idParams = z.strictObject({ id: z.string().max(100) });
const invitation = { description: 'The invitation (id, userId, email, name, status, dates, memberships)' };

function revokeRoute(method: 'post' | 'delete', path: string): ApiRoute {
  return apiRoute(
    { method, path, tag: 'Invitations', summary: 'Revoke an invitation: its link stops working', permission: 'users.invite', params: idParams, responses: { 200: invitation } },
    async ({ container, req, res, params }) => {
      const revoked = await inTransaction(req, (tx) => revokeInvitation(tx, scopeFor(req), params.id, container.clock.now()));
      res.json(toInvitationView(revoked));
    },
  );
}

/** /api/orgs/:org/invitations: invite (one or a pasted list), list, read, resend, revoke. One transaction per request. */
export const invitationApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'post',
      path: '/invitations',
      tag: 'Invitations',
      summary: 'Invite one person or a pasted list of addresses',
      description: 'With `groups`, also needs groups.manage: memberships and their roles are groups.manage’s, as for POST /groups/:id/members and an import adding memberships.',
      permission: 'users.invite',
      body: inviteBody,
      responses: { 201: { description: '{sent, notSent}: at least one sent' }, 200: { description: '{sent: [], notSent}: nobody was invited' } },
    },
    async ({ container, req, res, body }) => {
      // The groups an invitee joins on accepting are memberships with a role: a users.invite holder without
      // groups.manage must not hand out (say) the admin role of every group to an address they own.
      if (body.groups.length) requirePermission(req, 'groups.manage');
      // Inviting a deleted person's address restores them: only for those the restore route would let do it.
      const access = req.ctx.access!;
      const may = { restore: allows(access, 'users.delete'), reactivate: allows(access, 'users.disable') };
      const input = { emails: body.emails, name: body.name, message: body.message, groups: body.groups.map((g) => ({ groupId: g.id, role: g.role })), may };
      const deps = { publicUrl: container.config.publicUrl };
      const result = await inTransaction(req, (tx) => inviteMany(tx, deps, scopeFor(req), input, container.clock.now()));
      if (result.sent.length) container.outbox.worker.nudge();
      res.status(result.sent.length ? 201 : 200).json(result);
    },
  ),
  apiRoute(
    {
      method: 'get',
      path: '/invitations',
      tag: 'Invitations',
      summary: 'List invitations, newest first',
      permission: null,
      query: listQuery,
      responses: { 200: { description: '{invitations, nextCursor}' } },
    },
    async ({ container, req, res, query }) => {
      const page = await inTransaction(req, (tx) => listInvitations(tx, scopeFor(req), { status: query.status, beforeId: query.cursor, limit: query.limit }, container.clock.now()));
      res.json({ invitations: page.invitations.map(toInvitationView), nextCursor: page.nextCursor });
    },
  ),
  apiRoute(
    { method: 'get', path: '/invitations/:id', tag: 'Invitations', summary: 'One invitation', permission: null, params: idParams, responses: { 200: invitation } },
    async ({ container, req, res, params }) => {
      res.json(toInvitationView(await inTransaction(req, (tx) => getInvitation(tx, scopeFor(req), params.id, container.clock.now()))));
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/invitations/:id/resend',
      tag: 'Invitations',
      summary: 'Send a new link valid for a new period; the old link stops working (409 for an invitation a newer one replaced)',
      permission: 'users.invite',
      params: idParams,
      responses: { 200: invitation },
    },
    async ({ container, req, res, params }) => {
      const deps = { publicUrl: container.config.publicUrl };
      const resent = await inTransaction(req, (tx) => resendInvitation(tx, deps, scopeFor(req), params.id, container.clock.now()));
      container.outbox.worker.nudge();
      res.json(toInvitationView(resent));
    },
  ),
  revokeRoute('post', '/invitations/:id/revoke'),
  revokeRoute('delete', '/invitations/:id'),
];
