import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        // A safety net: no code logs these on purpose (test/http/secrets-in-logs.test.ts proves the flows).
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
          '*.token',
          '*.password',
          '*.confirmPassword',
          '*.SAMLResponse',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export interface LogOutput {
  logger: Logger;
  /**
   * Writes what is buffered and stops, waiting at most `timeoutMs`. Call it before `process.exit`:
   * pino flushes leftovers synchronously at exit, and its writer (sonic-boom) retries a failed
   * synchronous write forever, EPIPE included — with the reader gone (`npm start | head -1`,
   * pino-pretty after Ctrl-C) the process would never exit. Whatever is not written by then is given up.
   */
  close(timeoutMs: number): Promise<void>;
}

/** The server's logs: pino JSON on stdout, written asynchronously (as pino's default). */
export function createStdoutLogger(level: string): LogOutput {
  const destination = pino.destination({ dest: 1, sync: false });
  // pino stops writing after EPIPE; any other write error is ours to hear of (else it would crash the process).
  let broken = false;
  destination.on('error', () => (broken = true));
  const logger = createLogger(level, destination);
  let closing: Promise<void> | undefined;
  const close = (timeoutMs: number) =>
    (closing ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        destination.flushSync = () => undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      if (broken) return done();
      destination.once('close', done);
      destination.once('error', done);
      try {
        destination.end();
      } catch {
        done(); // already closed
      }
    }));
  return { logger, close };
}
