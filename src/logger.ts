import pino, { type Logger } from 'pino';

/** Paths redacted from every log line: credentials must never reach the logs. */
export const redactPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-device-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
];

/** Creates the application logger (JSON lines on stdout). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}

export type { Logger };
