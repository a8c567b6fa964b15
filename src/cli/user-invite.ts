import { inviteMany } from '../directory/invitations.ts';
import { ConflictError, ValidationError } from '../directory/errors.ts';
import { setUserAccess } from '../directory/org-admins.ts';
import { orgRoles, type OrgRole } from '../db/entities/index.ts';
import { UsageError, orgScope, publicUrlNote, required, type Command } from './context.ts';

/**
 * `gatehouse user invite`: invites one person from the server's shell, as an org
 * admin when asked — how the first admin of a new org gets into the console.
 * The mail goes through the outbox like any invitation: the running server sends
 * it (or writes it to DATA_DIR/outbox/ when no SMTP_URL is set).
 */
export const userInvite: Command = async (ctx) => {
  const scope = await orgScope(ctx);
  const email = required(ctx.flags, 'email');
  const role = typeof ctx.flags.role === 'string' ? ctx.flags.role : 'member';
  if (!orgRoles.includes(role as OrgRole)) throw new UsageError(`--role must be one of ${orgRoles.join(', ')}`);
  const name = typeof ctx.flags.name === 'string' ? ctx.flags.name : undefined;
  const em = ctx.store.orm.em.fork();
  const result = await inviteMany(em, { publicUrl: ctx.config.publicUrl }, scope, { emails: email, name, groups: [] }, new Date());
  const sent = result.sent[0];
  if (!sent) {
    const reason = result.notSent[0]?.reason ?? 'invalid_email';
    if (reason === 'invalid_email') throw ValidationError.field('email', `"${email}" is not an email address`);
    throw new ConflictError('email', `${email} was not invited: ${reason.replaceAll('_', ' ')}`);
  }
  if (role !== 'member') await setUserAccess(em.fork(), scope, sent.userId, { orgRole: role as OrgRole });
  const note = publicUrlNote(ctx.config);
  if (note) process.stderr.write(note);
  if (ctx.io.json) {
    ctx.io.out(JSON.stringify({ org: scope.orgSlug, email: sent.email, userId: sent.userId, invitationId: sent.invitationId, orgRole: role, publicUrl: ctx.config.publicUrl }));
    return;
  }
  // This shell's SMTP_URL and DATA_DIR say nothing of the server's (another directory, container or host): the server's are named.
  const where = 'by mail through its own SMTP_URL (without one, it writes it to outbox/ in its own DATA_DIR)';
  ctx.io.out(`Invited ${sent.email} to ${scope.orgSlug} as ${role}. The running server sends the invitation ${where}; its link, ${ctx.config.publicUrl}/invitations/…, opens the registration page, then the console.`);
};
