/**
 * The scorecard's rules as a pure function (src/report/evaluation.ts, docs/contract.md §5
 * "Evaluation scorecard") on hand-written facts: the three-year payback judgement at its edges, a
 * baseline wave dated after the period, and a report without the scorecard's KPIs.
 */
import { describe, expect, it } from 'vitest';
import type { PaybackPicture, SurveySummary } from '../../src/kpi/index.ts';
import { buildEvaluation, type EvaluationFacts } from '../../src/report/index.ts';

const INVESTMENT = { government: 0, socialCapital: 1_000, residents: 0, total: 1_000 };

/** A clock of `n` months from 2026-01, each netting `net`; the last `running` is not complete. */
function picture(n: number, net: number, over: Partial<PaybackPicture> = {}, running = false): PaybackPicture {
  return {
    currency: 'CNY',
    investment: INVESTMENT,
    shares: { government: 0, socialCapital: 1, residents: 0 },
    months: Array.from({ length: n }, (_, i) => ({
      month: `${2026 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`,
      revenue: net,
      otherIncome: 0,
      operatingCost: 0,
      net,
      cumulative: net * (i + 1),
      recoveredShare: (net * (i + 1)) / 1_000,
      complete: !(running && i === n - 1),
    })),
    recoveredIn: null,
    projectedRecovery: null,
    reason: null,
    ...over,
  };
}

const NO_SURVEYS: SurveySummary = {
  site: 's',
  baseline: null,
  baselineFrom: null,
  target: 0.3,
  households: null,
  waves: [],
};

function facts(lastMonth: string, payback: PaybackPicture, surveys: SurveySummary = NO_SURVEYS): EvaluationFacts {
  return { lastDay: `${lastMonth}-28`, lastMonth, surveys, payback };
}

describe('buildEvaluation', () => {
  it('judges the payback within three years: by the 36th month, too late, or still open', () => {
    // 36 months from 2026-01: the deadline is 2028-12.
    const recovered = buildEvaluation(facts('2026-12', picture(12, 100, { recoveredIn: '2026-10' })), []);
    expect(recovered.payback).toMatchObject({ start: '2026-01', deadline: '2028-12', withinThreeYears: true });
    expect(recovered.payback.cumulative).toBe(1_200);

    const late = buildEvaluation(facts('2029-03', picture(39, 1, { recoveredIn: '2029-01' })), []);
    expect(late.payback.withinThreeYears).toBe(false);

    // Not recovered: open while the deadline month runs, false once it has ended.
    const running = buildEvaluation(facts('2028-12', picture(36, 1, {}, true)), []);
    expect(running.payback.withinThreeYears).toBeNull();
    const ended = buildEvaluation(facts('2028-12', picture(36, 1)), []);
    expect(ended.payback.withinThreeYears).toBe(false);
    const open = buildEvaluation(facts('2027-06', picture(18, 1, { projectedRecovery: '2030-01' })), []);
    expect(open.payback).toMatchObject({ withinThreeYears: null, projectedRecovery: '2030-01' });

    // No investment: nothing to judge.
    const none = buildEvaluation(
      facts('2026-06', picture(6, 1, { investment: null, shares: null, reason: 'not_configured' })),
      [],
    );
    expect(none.payback).toMatchObject({ withinThreeYears: null, reason: 'not_configured' });
    expect(none.funding).toEqual({ currency: 'CNY', investment: null, shares: null });
  });

  it('gives no gain when the baseline wave is dated after the period', () => {
    const wave = (w: string, date: string, rate: number, gain: number | null) => ({
      wave: w,
      date,
      responses: 10,
      respondents: 10,
      satisfied: rate * 10,
      responseRate: null,
      satisfactionRate: rate,
      gain,
      met: gain === null ? null : gain >= 0.3,
    });
    const surveys: SurveySummary = {
      ...NO_SURVEYS,
      baseline: '2026-Q4',
      baselineFrom: 'inventory',
      waves: [wave('2026-Q2', '2026-06-30', 0.9, 0.8), wave('2026-Q4', '2026-12-31', 0.5, null)],
    };
    const ev = buildEvaluation(facts('2026-09', picture(3, 1), surveys), []);
    expect(ev.satisfaction).toMatchObject({
      wave: '2026-Q2',
      rate: 0.9,
      gain: null,
      met: null,
      baselineRate: null,
      targetRate: null,
      reason: 'no_gain',
    });
    expect(ev.satisfaction.waves.map((w) => w.wave)).toEqual(['2026-Q2']);
  });

  it('a KPI the report lacks is a row without a value', () => {
    const ev = buildEvaluation(facts('2026-03', picture(3, 1)), []);
    expect(ev.kpis.map((k) => [k.kpi, k.value, k.reason])).toEqual([
      ['sorting_coverage', null, 'not_computed'],
      ['diversion_rate', null, 'not_computed'],
      ['co2e_avoided_kg', null, 'not_computed'],
      ['recyclables_kg', null, 'not_computed'],
    ]);
  });
});
