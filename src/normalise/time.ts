/**
 * Time rules for every model (docs/contract.md §3): a time more than maxFutureSkewMs ahead of the
 * hub's clock is `clock_skew`, one older than maxAgeMs is `too_old`, and a reading without time
 * is stamped on arrival. Both limits are configurable; the defaults are 5 minutes and 30 days.
 */
import type { RejectReason } from './reasons.ts';

/** Default limits (docs/contract.md §3). */
export const DEFAULT_TIME_RULES: Readonly<TimeRules> = Object.freeze({
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 30 * 86_400_000,
});

/** The two limits, in milliseconds. */
export interface TimeRules {
  /** How far ahead of the hub's clock a time may be. */
  maxFutureSkewMs: number;
  /** How far behind the hub's clock a time may be. */
  maxAgeMs: number;
}

/** The outcome of `applyTimeRules`. */
export type TimeResult =
  | { ok: true; ms: number; stamped: boolean }
  | { ok: false; reason: Extract<RejectReason, 'clock_skew' | 'too_old'>; detail: string };

/**
 * Decide the time of an element.
 *
 * @param timeMs the element's own time (epoch ms), or undefined when it carries none
 * @param receivedAt when the hub received the message (epoch ms): the stamp for a missing time
 * @param now the hub's clock (epoch ms)
 * @param rules the limits
 */
export function applyTimeRules(
  timeMs: number | undefined,
  receivedAt: number,
  now: number,
  rules: TimeRules = DEFAULT_TIME_RULES,
): TimeResult {
  if (timeMs === undefined) return { ok: true, ms: Math.floor(receivedAt), stamped: true };
  const ms = Math.floor(timeMs);
  if (ms - now > rules.maxFutureSkewMs) {
    return {
      ok: false,
      reason: 'clock_skew',
      detail: `time ${iso(ms)} is ${ms - now} ms ahead of the hub's clock (${iso(now)}); the limit is ${rules.maxFutureSkewMs} ms`,
    };
  }
  if (now - ms > rules.maxAgeMs) {
    return {
      ok: false,
      reason: 'too_old',
      detail: `time ${iso(ms)} is ${now - ms} ms behind the hub's clock (${iso(now)}); the limit is ${rules.maxAgeMs} ms`,
    };
  }
  return { ok: true, ms, stamped: false };
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
