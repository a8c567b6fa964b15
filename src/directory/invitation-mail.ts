import { escapeHtml } from '../lib/html.ts';

/** The invitation mail: plain text first (what every client shows), and a simple HTML twin. */
export interface InvitationMailInput {
  link: string;
  orgName: string;
  /** The person who sent it, as they are known in the org; null when a token, the CLI or the system did. */
  inviter: string | null;
  name: string | null;
  message: string | null;
  expiresAt: Date;
}

function day(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function invitationMail(input: InvitationMailInput): { subject: string; text: string; html: string } {
  const greeting = input.name ? `Hello ${input.name},` : 'Hello,';
  const intro = input.inviter ? `${input.inviter} invited you to join ${input.orgName}.` : `You are invited to join ${input.orgName}.`;
  const messageLead = input.inviter ? 'Their message:' : 'A message came with it:';
  const action = `Create your account here (the link works once, until ${day(input.expiresAt)}):`;
  const quoted = input.message ? `\n${messageLead}\n\n${input.message.split('\n').map((l) => `> ${l}`).join('\n')}\n` : '';
  const text = `${greeting}

${intro}
${quoted}
${action}

${input.link}

If you did not expect this invitation, ignore this mail: nothing happens unless you open the link.
`;
  const messageHtml = input.message
    ? `<p>${messageLead}</p>\n<blockquote>${escapeHtml(input.message).replace(/\n/g, '<br>')}</blockquote>\n`
    : '';
  const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(greeting)}</p>
<p>${escapeHtml(intro)}</p>
${messageHtml}<p>${escapeHtml(action)}</p>
<p><a href="${escapeHtml(input.link)}">${escapeHtml(input.link)}</a></p>
<p>If you did not expect this invitation, ignore this mail: nothing happens unless you open the link.</p>
</body></html>`;
  const subject = input.inviter ? `${input.inviter} invited you to ${input.orgName}` : `Your invitation to ${input.orgName}`;
  return { subject: subject.slice(0, 200), text, html };
}
