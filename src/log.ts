/**
 * Structured logs (pino, the logger fastify uses): JSON lines on stdout for machines, one per
 * event, with stable field names. Household and credential ids never reach a log (contract
 * section 3); the normaliser pseudonymises them before anything else sees them.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger at `level`, writing JSON lines to stdout (or `destination`, for tests). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { name: 'community-hub' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

/** A URL fit for a log line: its password, if any, replaced by `***` (broker and Redis URLs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
