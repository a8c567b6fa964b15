import type { Logger } from './logger.ts';

/**
 * Text messages (one-time sign-in codes) go through this interface so a
 * provider (Twilio, SNS…) can be plugged in at the composition root. `tx` is
 * the caller's transaction handle: a sender that records or queues writes in
 * it, so a rolled-back sign-in step sends nothing.
 */
export interface SmsMessage {
  to: string;
  text: string;
  orgId: string | null;
  related?: Record<string, string> | undefined;
}

export interface SmsSender<Tx = unknown> {
  send(tx: Tx, message: SmsMessage, now: Date): Promise<void>;
}

/**
 * The default when no provider is configured: the message goes to the log and
 * is kept by `record` (the container stores it in the outbox as kind `sms`), so
 * the flow works in development and tests. It puts codes in the log: configure a
 * real sender in production.
 */
export function loggingSmsSender<Tx>(logger: Logger, record: (tx: Tx, message: SmsMessage, now: Date) => Promise<void>): SmsSender<Tx> {
  return {
    async send(tx, message, now) {
      logger.info({ to: message.to, text: message.text }, 'sms (no provider configured: logged only)');
      await record(tx, message, now);
    },
  };
}
