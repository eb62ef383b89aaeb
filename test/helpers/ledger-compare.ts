/**
 * The hub's KPI results of one period against the simulator's ledger, KPI by KPI (the ledger is
 * the independent ground truth: simulators/kpi.ts). Shared by the month-long ledger test and the
 * DST test so both judge by the same rules (src/kpi/README.md, "Null values and warnings").
 */
import { expect } from 'vitest';
import type { KpiResult, NullReason, QualityWarning } from '../../src/kpi/index.ts';
import { KPI_NAMES, type KpiName, type KpiValue, type PeriodKpis } from '../../simulators/kpi.ts';

/** The ledger's reasons in words, the hub's as codes: one to one. */
export const LEDGER_REASON: Record<string, NullReason> = {
  'no registered households in the period': 'no_registered_households',
  'no deposits judged correct or incorrect in the period': 'no_judged_deposits',
  'no registered devices in the period': 'no_registered_devices',
  'no access attempts in the period': 'no_access_attempts',
  'the site has no waste-sorting station': 'no_waste_bins',
  'the site has no access gate': 'no_access_gates',
  'no deposited weight in the period': 'no_weighed_deposits',
  'no CO2e factors configured': 'not_configured',
};

/** The warnings the hub must give for a ledger value at a site without a roster. */
export function expectedWarnings(kpi: KpiName, mine: KpiValue, p: PeriodKpis): QualityWarning[] {
  const out: QualityWarning[] = [];
  if (mine.warning !== undefined) out.push('numerator_exceeds_denominator');
  // "no deposit at all in the period": the ledger's participation numerator counts every deposit's household.
  const household = kpi === 'sorting_coverage' || kpi === 'participation_rate';
  if (household && p.kpis.participation_rate.numerator === 0) out.push('no_deposits');
  // These communities have no rosters (test/kpi/roster.test.ts has).
  if (household) out.push('household_ids_unverified');
  return out;
}

/** Compare the hub's complete results of one period with the ledger's, KPI by KPI. */
export function compareWithLedger(at: string, results: readonly KpiResult[], p: PeriodKpis): void {
  expect(results.map((r) => r.kpi).sort(), at).toEqual([...KPI_NAMES].sort());
  for (const r of results) {
    const mine = p.kpis[r.kpi];
    const where = `${at} ${r.kpi}`;
    expect(Date.parse(r.start), where).toBe(Date.parse(p.start));
    expect(Date.parse(r.end), where).toBe(Date.parse(p.end));
    expect(r.complete, where).toBe(true);
    expect(r.numerator, where).toBe(mine.numerator);
    expect(r.denominator, where).toBe(mine.denominator);
    if (mine.value === null) {
      expect(r.value, where).toBeNull();
      expect(r.status, where).toBe('null');
      expect(r.reason, where).toBe(LEDGER_REASON[mine.reason!] ?? `unmapped ledger reason: ${mine.reason}`);
      continue;
    }
    expect(r.value, where).not.toBeNull();
    expect(r.reason, where).toBeNull();
    if (r.unit !== 'ratio') expect(r.value, where).toBe(mine.value);
    else expect(Math.abs(r.value! - mine.value), `${where}: ${r.value} vs ${mine.value}`).toBeLessThanOrEqual(1e-9);
    expect([...r.warnings].sort(), where).toEqual(expectedWarnings(r.kpi, mine, p).sort());
    expect(r.status, where).toBe(r.warnings.length > 0 ? 'warning' : 'ok');
  }
}
