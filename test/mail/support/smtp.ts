import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** One mail as the SMTP server received it. */
export interface Received {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpCapture {
  url: string;
  received: Received[];
  /** Reply for a recipient: undefined accepts, else an SMTP code and text (550 refuses, 451 defers). */
  rcpt: (address: string) => { code: number; message: string } | undefined;
  /** The decoded text of the messages sent to `address` (quoted-printable soft breaks undone). */
  textsTo(address: string): string[];
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1:0 that keeps what it receives (no TLS, no auth). */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const capture = {
    received: [] as Received[],
    rcpt: (() => undefined) as SmtpCapture['rcpt'],
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const reply = capture.rcpt(address.address);
      if (!reply) return callback();
      const error = Object.assign(new Error(reply.message), { responseCode: reply.code });
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        capture.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get received() {
      return capture.received;
    },
    get rcpt() {
      return capture.rcpt;
    },
    set rcpt(value) {
      capture.rcpt = value;
    },
    textsTo(address: string) {
      return capture.received.filter((m) => m.to.includes(address)).map((m) => m.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The reset link inside a received mail. */
export function resetLinkIn(text: string): string {
  const match = /https?:\/\/[^\s"<>]+\/auth\/password\/reset\/(gh_reset_[A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error(`no reset link in:\n${text}`);
  return match[1]!;
}
