import { describe, expect, it } from 'vitest';
import { applyTimeRules, DEFAULT_TIME_RULES } from '../../src/normalise/time.ts';

const NOW = Date.parse('2026-11-27T00:05:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

describe('time rules (docs/contract.md §3)', () => {
  it('defaults to 5 minutes ahead and 30 days behind', () => {
    expect(DEFAULT_TIME_RULES).toEqual({ maxFutureSkewMs: 5 * MIN, maxAgeMs: 30 * DAY });
  });

  it('stamps a missing time on arrival', () => {
    expect(applyTimeRules(undefined, NOW - 1234, NOW)).toEqual({ ok: true, ms: NOW - 1234, stamped: true });
  });

  it('accepts times up to the limits, inclusive', () => {
    expect(applyTimeRules(NOW + 5 * MIN, NOW, NOW)).toMatchObject({ ok: true, ms: NOW + 5 * MIN, stamped: false });
    expect(applyTimeRules(NOW - 30 * DAY, NOW, NOW)).toMatchObject({ ok: true, ms: NOW - 30 * DAY });
  });

  it('refuses a time more than maxFutureSkewMs ahead as clock_skew', () => {
    expect(applyTimeRules(NOW + 5 * MIN + 1, NOW, NOW)).toMatchObject({ ok: false, reason: 'clock_skew' });
  });

  it('refuses a time older than maxAgeMs as too_old', () => {
    expect(applyTimeRules(NOW - 30 * DAY - 1, NOW, NOW)).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('takes the limits as options', () => {
    const rules = { maxFutureSkewMs: 1000, maxAgeMs: 2000 };
    expect(applyTimeRules(NOW + 1001, NOW, NOW, rules)).toMatchObject({ ok: false, reason: 'clock_skew' });
    expect(applyTimeRules(NOW - 2001, NOW, NOW, rules)).toMatchObject({ ok: false, reason: 'too_old' });
    expect(applyTimeRules(NOW - 1999, NOW, NOW, rules)).toMatchObject({ ok: true });
  });

  it('judges against the hub clock, not the arrival time', () => {
    // A dead letter replayed days later: arrival long ago, clock now.
    expect(applyTimeRules(NOW - 31 * DAY, NOW - 31 * DAY, NOW)).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('floors sub-millisecond times', () => {
    expect(applyTimeRules(NOW + 0.9, NOW, NOW)).toMatchObject({ ok: true, ms: NOW });
  });
});
