/** Pure parts: target comparison, quoting, results, points and messages (docs/contract.md §2, 4, 5). */
import { describe, expect, it } from 'vitest';
import {
  decimalFraction,
  evaluate,
  KPI_DEFINITIONS,
  kpiDefinition,
  meetsTarget,
  periodOf,
  previousTopic,
  quoteString,
  timeRange,
  toMessage,
  toPoint,
} from '../../src/kpi/index.ts';
import { kpiConfig } from './helpers.ts';

const day = periodOf('day', '2026-11-27', 'Asia/Shanghai');
const coverage = kpiDefinition('sorting_coverage')!;
const security = kpiDefinition('gate_security_alarms')!;
const ctx = { site: 'maple-court', period: day, target: 0.95, now: day.endMs + 60_000 };

describe('targets', () => {
  it('a target is the exact fraction of the decimal it is written as', () => {
    expect(decimalFraction(0.95)).toEqual([95n, 100n]);
    expect(decimalFraction(0.9)).toEqual([9n, 10n]);
    expect(decimalFraction(1)).toEqual([1n, 1n]);
    expect(decimalFraction(1e-7)).toEqual([1n, 10_000_000n]);
    expect(decimalFraction(1.5e21)).toEqual([1_500_000_000_000_000_000_000n, 1n]);
  });

  it('≥: 19/20 meets 0.95 exactly (rational comparison, no tolerance); 18/20 does not; 20/20 does', () => {
    expect(meetsTarget('>=', 19, 20, 0.95)).toBe(true);
    expect(meetsTarget('>=', 18, 20, 0.95)).toBe(false);
    expect(meetsTarget('>=', 20, 20, 0.95)).toBe(true);
    // 0.1 + 0.2 style traps: 57/60 = 0.95 exactly; 949/1000 just below; 9_500_001/10_000_000 just above.
    expect(meetsTarget('>=', 57, 60, 0.95)).toBe(true);
    expect(meetsTarget('>=', 949, 1000, 0.95)).toBe(false);
    expect(meetsTarget('>=', 9_499_999, 10_000_000, 0.95)).toBe(false);
    expect(meetsTarget('>=', 3, 10, 0.3)).toBe(true); // 3/10 = 0.30000000000000004 in floats
    expect(meetsTarget('>=', 7, 10, 0.7)).toBe(true);
  });

  it('kg rounded to the gram (diversion_rate) are compared as whole grams: exact where doubles are not', () => {
    expect(0.567 / 1.62).toBeLessThan(0.35); // the doubles' quotient: 0.3499999999999999
    expect(meetsTarget('>=', 0.567, 1.62, 0.35)).toBe(true); // 567 g of 1620 g is 35 % exactly
    expect(meetsTarget('>=', 0.566, 1.62, 0.35)).toBe(false);
    // A year of a large community: 200,000,000 g of which one gram short of 35 % (1e-11 below it).
    expect(meetsTarget('>=', 69_999.999, 200_000, 0.35)).toBe(false);
    expect(meetsTarget('>=', 70_000, 200_000, 0.35)).toBe(true);
  });

  it('≤ for counts: equal to the target is met', () => {
    expect(meetsTarget('<=', 3, null, 3)).toBe(true);
    expect(meetsTarget('<=', 4, null, 3)).toBe(false);
    expect(meetsTarget('<=', 0, null, 0)).toBe(true);
  });
});

describe('InfluxQL quoting', () => {
  it('escapes backslashes, quotes and newlines in string literals', () => {
    expect(quoteString(`o'b\\x`)).toBe(`'o\\'b\\\\x'`);
    expect(quoteString('a\nb')).toBe(`'a\\nb'`);
    expect(quoteString('maple-court')).toBe(`'maple-court'`);
  });

  it('writes times as integer nanoseconds of a half-open interval', () => {
    expect(timeRange(day.startMs, day.endMs)).toBe('time >= 1795708800000000000 AND time < 1795795200000000000');
  });
});

describe('definitions', () => {
  it('cover every KPI of docs/contract.md §5, each with formula, unit, numerator, denominator, direction and version', () => {
    expect(KPI_DEFINITIONS.map((d) => d.id)).toEqual([
      'sorting_coverage',
      'participation_rate',
      'sorting_accuracy',
      'device_availability',
      'bin_overflow_alarms',
      'gate_denied_rate',
      'gate_security_alarms',
      'diversion_rate',
      'recyclables_kg',
      'co2e_avoided_kg',
    ]);
    for (const d of KPI_DEFINITIONS) {
      expect(d.formula.length).toBeGreaterThan(5);
      expect(d.numerator.length).toBeGreaterThan(5);
      expect(d.version).toBeGreaterThanOrEqual(1);
      expect(d.denominator === null).toBe(d.unit !== 'ratio');
    }
  });

  it('take targets from config, with the contract’s defaults', () => {
    const defaults = kpiConfig();
    expect(KPI_DEFINITIONS.map((d) => [d.id, d.direction, d.target(defaults, 'day')])).toEqual([
      ['sorting_coverage', '>=', 0.95],
      ['participation_rate', '>=', 0.9],
      ['sorting_accuracy', '>=', 0.9],
      ['device_availability', '>=', 0.98],
      ['bin_overflow_alarms', '<=', 3],
      ['gate_denied_rate', null, null],
      ['gate_security_alarms', null, null],
      ['diversion_rate', '>=', 0.35],
      ['recyclables_kg', null, null],
      ['co2e_avoided_kg', null, null],
    ]);
    expect(kpiDefinition('bin_overflow_alarms')!.target(defaults, 'quarter')).toBe(240);
    expect(kpiDefinition('bin_overflow_alarms')!.target(defaults, 'year')).toBe(960);
    expect(kpiDefinition('diversion_rate')!.target(kpiConfig({ diversion_rate: 0.5 }), 'day')).toBe(0.5);
    const custom = kpiConfig({ sorting_coverage: 0.8, bin_overflow_alarms: { week: 7 } });
    expect(coverage.target(custom, 'day')).toBe(0.8);
    expect(kpiDefinition('bin_overflow_alarms')!.target(custom, 'week')).toBe(7);
    expect(kpiDefinition('bin_overflow_alarms')!.target(custom, 'month')).toBe(80);
  });
});

describe('results', () => {
  it('a zero denominator gives null with its reason, never 0 or 1, and no value/met in the point', () => {
    const r = evaluate(coverage, { numerator: 0, denominator: 0, reason: 'no_registered_households' }, ctx);
    expect(r).toMatchObject({
      value: null,
      met: null,
      status: 'null',
      reason: 'no_registered_households',
      target: 0.95,
      complete: true,
    });
    const point = toPoint(r);
    expect(point.fields).not.toHaveProperty('value');
    expect(point.fields).not.toHaveProperty('met');
    expect(point.fields).toMatchObject({
      status: 'null',
      reason: 'no_registered_households',
      numerator: 0,
      denominator: 0,
      warnings: '',
    });
    expect(point.time).toBe(`${Date.parse('2026-11-26T16:00:00Z')}000000`);
    expect(point.tags).toEqual({ site: 'maple-court', kpi: 'sorting_coverage', period: 'day' });
  });

  it('a numerator above its denominator is reported unclamped, with a warning', () => {
    const r = evaluate(coverage, { numerator: 21, denominator: 20, warnings: ['numerator_exceeds_denominator'] }, ctx);
    expect(r).toMatchObject({ value: 1.05, met: true, status: 'warning', warnings: ['numerator_exceeds_denominator'] });
    expect(toPoint(r).fields).toMatchObject({
      value: 1.05,
      met: true,
      status: 'warning',
      reason: '',
      warnings: 'numerator_exceeds_denominator',
    });
  });

  it('informative KPIs have no target and no met', () => {
    const r = evaluate(security, { numerator: 4, denominator: null }, { ...ctx, target: null });
    expect(r).toMatchObject({ value: 4, target: null, met: null, status: 'ok', denominator: null });
    expect(toPoint(r).fields).not.toHaveProperty('target');
    expect(toPoint(r).fields).not.toHaveProperty('denominator');
  });

  it('a running period is not complete', () => {
    expect(evaluate(coverage, { numerator: 1, denominator: 20 }, { ...ctx, now: day.startMs + 1 }).complete).toBe(
      false,
    );
  });

  it('the retained message has the contract’s keys, on {root}/{site}/kpi/{kpi}', () => {
    const r = evaluate(coverage, { numerator: 19, denominator: 20 }, ctx);
    const { topic, payload } = toMessage(r, 'community/v1');
    expect(topic).toBe('community/v1/maple-court/kpi/sorting_coverage');
    expect(previousTopic('community/v1', 'maple-court', 'sorting_coverage')).toBe(
      'community/v1/maple-court/kpi/sorting_coverage/previous',
    );
    expect(JSON.parse(payload)).toEqual({
      kpi: 'sorting_coverage',
      period: 'day',
      start: '2026-11-27T00:00:00+08:00',
      end: '2026-11-28T00:00:00+08:00',
      complete: true,
      value: 0.95,
      target: 0.95,
      met: true,
      computedAt: '2026-11-27T16:01:00.000Z',
      status: 'ok',
      reason: null,
      warnings: [],
    });
  });

  it('a running period says so, and has no verdict yet (met null) in its message; the stored point keeps met', () => {
    const running = evaluate(
      coverage,
      { numerator: 19, denominator: 20 },
      { ...ctx, now: Date.parse('2026-11-27T04:00:00Z') },
    );
    expect(running).toMatchObject({ complete: false, met: true });
    expect(JSON.parse(toMessage(running, 'community/v1').payload)).toMatchObject({
      start: '2026-11-27T00:00:00+08:00',
      end: '2026-11-28T00:00:00+08:00',
      complete: false,
      value: 0.95,
      met: null,
    });
  });
});
