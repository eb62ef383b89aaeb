/**
 * The payback picture as a pure function (src/kpi/payback.ts, docs/contract.md §5 "Funding and
 * payback"): recovered, projected at the average net of the last 3 complete months, never at the
 * current rate, and the cases without a recovery month. Expected values are worked out by hand in
 * each test from its inputs.
 */
import { describe, expect, it } from 'vitest';
import type { SiteData } from '../../src/config/inventory.ts';
import { addMonths, computePayback, monthsBetween, pricesOf, type PaybackInput } from '../../src/kpi/index.ts';

const PRICES = { recyclable: 2, kitchen: 0.1, hazardous: 0, residual: 0 };

/** Months from 2026-01 on, each with `kg[i]` kg of recyclables; the last is the running one. */
function input(kg: number[], over: Partial<PaybackInput> = {}): PaybackInput {
  const months = kg.map((_, i) => addMonths('2026-01', i));
  return {
    months,
    currentMonth: months.at(-1)!,
    grams: new Map(months.map((m, i) => [m, { recyclable: kg[i]! * 1000 }])),
    prices: PRICES,
    monthlyOperatingCost: 100,
    monthlyOtherIncome: 20,
    investment: { government: 500, socialCapital: 1000, residents: 500 },
    ...over,
  };
}

describe('months', () => {
  it('adds months across years, both ways', () => {
    expect(addMonths('2026-11', 2)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-09', 36)).toBe('2029-09');
    expect(monthsBetween('2026-11', '2027-02')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(monthsBetween('2026-11', '2026-10')).toEqual([]);
  });
});

describe('computePayback', () => {
  it('finds the month the cumulative net reaches the social capital', () => {
    // net = 2·kg + 20 − 100: 420, 320, 520 → cumulative 420, 740, 1260 ≥ 1000 in March.
    const p = computePayback(input([250, 200, 300, 10]));
    expect(p.months.map((m) => [m.month, m.revenue, m.net, m.cumulative])).toEqual([
      ['2026-01', 500, 420, 420],
      ['2026-02', 400, 320, 740],
      ['2026-03', 600, 520, 1260],
      ['2026-04', 20, -60, 1200],
    ]);
    expect(p.months[1]!.recoveredShare).toBeCloseTo(0.74, 12);
    expect(p.months.map((m) => m.complete)).toEqual([true, true, true, false]);
    expect(p).toMatchObject({ recoveredIn: '2026-03', projectedRecovery: null, reason: null, currency: 'CNY' });
    expect(p.investment).toEqual({ government: 500, socialCapital: 1000, residents: 500, total: 2000 });
    expect(p.shares).toEqual({ government: 0.25, socialCapital: 0.5, residents: 0.25 });
  });

  it('projects at the average net of the last 3 complete months, leaving the running month out', () => {
    // nets: 2·kg − 80 = 920 (Jan), 20, 40, 60 (Feb–Apr), running May 9920 (not used).
    // After April: 1040 of 1_000_000 … use a larger capital: 10_000. Left: 10_000 − 1040 = 8960;
    // average of Feb–Apr = 40 → 224 months after April 2026 = 2044-12.
    const p = computePayback(
      input([500, 50, 60, 70, 5000], { investment: { government: 0, socialCapital: 10_000, residents: 0 } }),
    );
    expect(p.months.map((m) => m.net)).toEqual([920, 20, 40, 60, 9920]);
    expect(p.recoveredIn).toBe('2026-05');
    const q = computePayback(
      input([500, 50, 60, 70, 0], { investment: { government: 0, socialCapital: 10_000, residents: 0 } }),
    );
    expect(q.months.at(-1)!.cumulative).toBe(1040 - 80);
    expect(q).toMatchObject({ recoveredIn: null, projectedRecovery: addMonths('2026-04', 224), reason: null });
    expect(q.projectedRecovery).toBe('2044-12');
  });

  it('rounds a projection up to the month that reaches it', () => {
    // nets 120, 120, 130 → cumulative 370 after March; left 630; average 370/3 → 5.1 → 6 months → 2026-09.
    const p = computePayback(input([100, 100, 105, 0]));
    expect(p.projectedRecovery).toBe('2026-09');
  });

  it('never at the current rate when the average net is zero or less', () => {
    // nets 2·kg − 80: 1920 (Jan), then 0, 20, −20 → average 0.
    const p = computePayback(
      input([1000, 40, 50, 30, 0], { investment: { government: 0, socialCapital: 5000, residents: 0 } }),
    );
    expect(p).toMatchObject({ recoveredIn: null, projectedRecovery: null, reason: 'never_at_current_rate' });
  });

  it('averages fewer months when the clock started less than 3 months ago', () => {
    // One complete month, net 2·100 − 80 = 120; left 880 → 8 months after January.
    const p = computePayback(input([100, 0]));
    expect(p).toMatchObject({ projectedRecovery: '2026-09', reason: null });
  });

  it('has no projection before a month is complete', () => {
    const p = computePayback(input([100]));
    expect(p).toMatchObject({ recoveredIn: null, projectedRecovery: null, reason: 'no_complete_months' });
    expect(p.months).toHaveLength(1);
  });

  it('lists the months without an investment, not_configured', () => {
    const p = computePayback(input([100, 0], { investment: undefined }));
    expect(p.months.map((m) => [m.revenue, m.net, m.recoveredShare])).toEqual([
      [200, 120, null],
      [0, -80, null],
    ]);
    expect(p).toMatchObject({ investment: null, shares: null, recoveredIn: null, reason: 'not_configured' });
  });

  it('lists no month without a price for every category', () => {
    const p = computePayback(input([100, 0], { prices: undefined }));
    expect(p).toMatchObject({ months: [], reason: 'not_configured', recoveredIn: null, projectedRecovery: null });
  });

  it('prices each category and rounds a month to the fen once', () => {
    // 333 g kitchen × 0.1 = 0.0333 + 1234 g recyclable × 2 = 2.468 → 2.5013 yuan → 2.50.
    const p = computePayback({
      ...input([0]),
      grams: new Map([['2026-01', { recyclable: 1234, kitchen: 333, residual: 50_000, hazardous: 3000 }]]),
      monthlyOperatingCost: 0,
      monthlyOtherIncome: 0,
    });
    expect(p.months[0]).toMatchObject({ revenue: 2.5, net: 2.5, cumulative: 2.5 });
  });
});

describe('pricesOf', () => {
  const site = (prices?: Record<string, number>): SiteData =>
    ({
      id: 's',
      timezone: 'Asia/Shanghai',
      households: 1,
      gateways: [],
      evaluation: prices ? { prices } : undefined,
    }) as SiteData;
  const hub = { prices: { recyclable: 1, kitchen: 0.05, hazardous: 0, residual: 0 } };

  it('takes the site override of a category, else the hub price', () => {
    expect(pricesOf(site({ kitchen: 0.08 }), hub)).toEqual({ recyclable: 1, kitchen: 0.08, hazardous: 0, residual: 0 });
    expect(pricesOf(site(), hub)).toEqual(hub.prices);
  });

  it('needs every category priced somewhere', () => {
    expect(pricesOf(site({ kitchen: 0.08 }), {})).toBeUndefined();
    const all = { recyclable: 2, kitchen: 0.1, hazardous: 0, residual: 0 };
    expect(pricesOf(site(all), {})).toEqual(all);
  });
});
