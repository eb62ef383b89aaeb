/**
 * The two household KPIs (docs/contract.md §5) share their denominator and their edge cases:
 * registered households from the inventory; zero registered → null; more distinct households
 * than registered → reported as is, with a data-quality warning, never clamped.
 */
import { count, has } from './shared.ts';
import type { KpiScope, Measure, QualityWarning } from './types.ts';
import type { QueryRow } from '../../store/index.ts';
import { tagEquals } from '../influxql.ts';

/** Statements: [distinct households (of deposits matching `extra`), all deposits]. */
export function householdStatements(scope: KpiScope, extra?: string): string[] {
  const filter = extra ? ` AND ${extra}` : '';
  return [
    `SELECT COUNT(DISTINCT("household")) AS "n" FROM "deposit" WHERE ${scope.siteIs} AND ${scope.during}${filter}`,
    `SELECT COUNT("event_id") AS "n" FROM "deposit" WHERE ${scope.siteIs} AND ${scope.during}`,
  ];
}

/** Distinct households ÷ registered households, with the edge cases above. */
export function householdShare([distinct, deposits]: ReadonlyArray<readonly QueryRow[]>, scope: KpiScope): Measure {
  const numerator = count(distinct);
  const denominator = scope.households;
  if (!has(scope, 'waste-bin')) return { numerator, denominator, reason: 'no_waste_bins' };
  const warnings: QualityWarning[] = [];
  if (numerator > denominator && denominator > 0) warnings.push('numerator_exceeds_denominator');
  if (count(deposits) === 0) warnings.push('no_deposits');
  if (denominator === 0) return { numerator, denominator, reason: 'no_registered_households', warnings };
  return { numerator, denominator, warnings };
}

/** `"sorting" = 'correct'`. */
export const JUDGED_CORRECT = tagEquals('sorting', 'correct');
