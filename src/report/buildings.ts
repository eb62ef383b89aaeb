/**
 * The per-building part of a report (docs/contract.md §5, "Buildings"): coverage and
 * participation of each roster building, as the KPI stage stored them (§4, `kpi` points with a
 * `building` tag), worst coverage first, with the households still needed to reach the target.
 */
import { decimalFraction, type KpiId, type KpiResult } from '../kpi/index.ts';

/** The household KPIs computed per building (src/kpi/README.md, "Rosters"). */
export const BUILDING_KPIS = ['sorting_coverage', 'participation_rate'] as const satisfies readonly KpiId[];
/** One of {@link BUILDING_KPIS}. */
export type BuildingKpiId = (typeof BUILDING_KPIS)[number];

/** One household KPI of one building (or of the site), with what it lacks. */
export interface BuildingKpi {
  value: number | null;
  target: number | null;
  met: boolean | null;
  /** Households that sort correctly (coverage) or take part (participation). */
  numerator: number;
  /** Registered households of the building (roster). */
  denominator: number | null;
  status: KpiResult['status'];
  reason: string | null;
  /**
   * ceil(target × households) − numerator, at least 0: how many more households would have to
   * sort correctly (coverage) or take part (participation) for the target to be met; null
   * without a target.
   */
  needed: number | null;
}

/** One building of a report. */
export interface ReportBuilding {
  building: string;
  /** Registered households (the roster's count for the building). */
  households: number;
  sorting_coverage: BuildingKpi | null;
  participation_rate: BuildingKpi | null;
}

/**
 * ceil(target × households) − numerator, at least 0, in exact integers: the target is the fraction
 * p/q of its decimal (0.95 = 95/100), the same rule that decides met (src/kpi/result.ts), so
 * `needed` is 0 exactly when the KPI is met.
 */
export function householdsNeeded(target: number | null, households: number, numerator: number): number | null {
  if (target === null) return null;
  const [p, q] = decimalFraction(target);
  const want = (p * BigInt(households) + q - 1n) / q;
  const lack = want - BigInt(numerator);
  return lack > 0n ? Number(lack) : 0;
}

/** A stored result as a {@link BuildingKpi}; `households` when the result has no denominator. */
export function buildingKpi(r: KpiResult, households: number): BuildingKpi {
  const total = r.denominator ?? households;
  return {
    value: r.value,
    target: r.target,
    met: r.met,
    numerator: r.numerator,
    denominator: r.denominator,
    status: r.status,
    reason: r.reason,
    needed: householdsNeeded(r.target, total, r.numerator),
  };
}

/**
 * The buildings of a site from their stored results (any order) and the inventory's buildings
 * (for their household counts and for buildings without results): worst coverage first (no value
 * last), then by id.
 */
export function buildingRows(
  results: readonly KpiResult[],
  known: ReadonlyArray<{ id: string; households: number }>,
): ReportBuilding[] {
  const households = new Map(known.map((b) => [b.id, b.households]));
  const ids = new Set([...known.map((b) => b.id), ...results.flatMap((r) => (r.building ? [r.building] : []))]);
  const rows = [...ids].map((building): ReportBuilding => {
    const of = (kpi: BuildingKpiId): KpiResult | undefined =>
      results.find((r) => r.building === building && r.kpi === kpi);
    const cov = of('sorting_coverage');
    const par = of('participation_rate');
    const n = households.get(building) ?? cov?.denominator ?? par?.denominator ?? 0;
    return {
      building,
      households: n,
      sorting_coverage: cov ? buildingKpi(cov, n) : null,
      participation_rate: par ? buildingKpi(par, n) : null,
    };
  });
  const key = (b: ReportBuilding): number => b.sorting_coverage?.value ?? Infinity;
  return rows
    .filter((b) => b.sorting_coverage !== null || b.participation_rate !== null)
    .sort((a, b) => key(a) - key(b) || a.building.localeCompare(b.building));
}
