import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Logger } from './logger.ts';

/**
 * The mail transport, nothing more: SMTP when SMTP_URL is set, else `.eml`
 * files in DATA_DIR/outbox/ plus a log line carrying the text, so links are
 * usable on a laptop without a mail server. Queueing and retries live in
 * directory/outbox.ts.
 */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string | null | undefined;
}

export interface Mailer {
  readonly kind: 'smtp' | 'file';
  send(message: MailMessage): Promise<{ messageId: string }>;
  close(): void;
}

/**
 * A send that did not happen. `permanent` when the server refused the
 * recipient or the message with a 5xx reply (RFC 5321 §4.2.1: "permanent
 * negative completion"); connection trouble, 4xx and our own login failing
 * (a configuration problem, not the address) are worth retrying.
 */
export class MailDeliveryError extends Error {
  readonly permanent: boolean;
  readonly responseCode: number | undefined;
  constructor(message: string, permanent: boolean, responseCode: number | undefined, cause?: unknown) {
    super(message, { cause });
    this.name = 'MailDeliveryError';
    this.permanent = permanent;
    this.responseCode = responseCode;
  }
}

export interface MailerOptions {
  smtpUrl?: string | undefined;
  from: string;
  /** Where `.eml` files go when there is no SMTP server. */
  outboxDir: string;
  logger: Logger;
}

/** Refusals about this recipient or this message; anything else (EAUTH, ECONNECTION…) is ours or transient. */
const RECIPIENT_ERRORS = new Set(['EENVELOPE', 'EMESSAGE']);

export function classifySmtpError(error: unknown): MailDeliveryError {
  const { code, responseCode, response, message } = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && RECIPIENT_ERRORS.has(String(code));
  const detail = (response ?? message ?? String(error)).slice(0, 900);
  return new MailDeliveryError(`${code ?? 'ERROR'}${responseCode ? ` ${responseCode}` : ''}: ${detail}`, permanent, responseCode, error);
}

export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl, options) : fileMailer(options);
}

function smtpMailer(url: string, options: MailerOptions): Mailer {
  // Short timeouts: a hung server must not hold an outbox claim for the default two minutes.
  const transport = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }, { from: options.from });
  return {
    kind: 'smtp',
    async send(message) {
      try {
        const info = await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, ...(message.html ? { html: message.html } : {}) });
        return { messageId: String(info.messageId) };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    close: () => transport.close(),
  };
}

function fileMailer(options: MailerOptions): Mailer {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from: options.from });
  return {
    kind: 'file',
    async send(message) {
      const info = await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, ...(message.html ? { html: message.html } : {}) });
      await mkdir(options.outboxDir, { recursive: true });
      const file = path.join(options.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`);
      await writeFile(file, info.message as Buffer);
      // No mail server: the log says which file holds the mail. Not its text: invitation and
      // reset links are secrets, and logs travel further than DATA_DIR (issue 9).
      options.logger.info({ to: message.to, subject: message.subject, file }, `mail written to ${file}`);
      return { messageId: String(info.messageId) };
    },
    close: () => transport.close(),
  };
}
