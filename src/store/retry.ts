/**
 * Retry delays of the writer: exponential backoff with jitter, honouring `Retry-After`.
 */
import { HttpError } from '@influxdata/influxdb-client';
import type { InfluxSettings } from './settings.ts';

type Bounds = Pick<InfluxSettings, 'minRetryDelayMs' | 'maxRetryDelayMs'>;

/**
 * `Retry-After` of a 429/503 answer in ms: InfluxDB 2.x/3.x send seconds (RFC 9110 section 10.2.3).
 * The client's own `HttpError.retryAfter()` reads the digits as milliseconds, so we read the header.
 */
export function retryAfterMs(error: unknown): number {
  const cause = error instanceof HttpError ? error : (error as { cause?: unknown } | undefined)?.cause;
  if (!(cause instanceof HttpError)) return 0;
  const header = cause.headers?.['retry-after'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) * 1000 : 0;
}

/**
 * Delay before attempt `failedAttempts + 1`: min·2^(n−1) capped at max, then "equal jitter"
 * (half fixed, half random) so writers that failed together do not retry together; never less than
 * the server's `Retry-After`, never more than max.
 */
export function retryDelayMs(bounds: Bounds, failedAttempts: number, error?: unknown): number {
  const exponential = Math.min(bounds.maxRetryDelayMs, bounds.minRetryDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  const jittered = exponential / 2 + (Math.random() * exponential) / 2;
  return Math.round(Math.min(bounds.maxRetryDelayMs, Math.max(jittered, retryAfterMs(error))));
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
