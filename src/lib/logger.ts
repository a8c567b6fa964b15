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
