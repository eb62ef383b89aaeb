/**
 * The two household KPIs (docs/contract.md §5) share their denominator and their edge cases:
 * registered households; zero registered → null; more distinct households than registered →
 * reported as is, with a data-quality warning, never clamped.
 *
 * The distinct household pseudonyms of the period are read from InfluxDB (`SELECT DISTINCT`) and
 * counted here. With a roster (src/config/roster.ts) only the pseudonyms on it count, the others
 * are reported as `unregistered` with the warning `unregistered_households`, and each building of
 * the roster gets its own value; without one every id counts and the warning
 * `household_ids_unverified` says so. A few thousand pseudonyms a site and period: small. Without
 * a roster only their number matters, so InfluxDB counts them (one row, not one per household:
 * a server's `max-row-limit` is then no concern).
 */
import { count, has } from './shared.ts';
import type { KpiScope, Measure, QualityWarning } from './types.ts';
import type { QueryRow } from '../../store/index.ts';
import { tagEquals } from '../influxql.ts';

/** Statements: [distinct households (of deposits matching `extra`), all deposits]. */
export function householdStatements(scope: KpiScope, extra?: string): string[] {
  const filter = extra ? ` AND ${extra}` : '';
  const where = `WHERE ${scope.siteIs} AND ${scope.during}${filter}`;
  return [
    scope.roster
      ? `SELECT DISTINCT("household") AS "household" FROM "deposit" ${where}`
      : `SELECT COUNT(DISTINCT("household")) AS "n" FROM "deposit" ${where}`,
    `SELECT COUNT("event_id") AS "n" FROM "deposit" WHERE ${scope.siteIs} AND ${scope.during}`,
  ];
}

/** The distinct pseudonyms of the first statement's rows. */
function distinctOf(rows: readonly QueryRow[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const r of rows ?? []) {
    const v = r.values['household'];
    if (typeof v === 'string') out.add(v);
  }
  return out;
}

/** Registered distinct households ÷ registered households, with the edge cases above. */
export function householdShare([distinct, deposits]: ReadonlyArray<readonly QueryRow[]>, scope: KpiScope): Measure {
  const roster = scope.roster;
  let numerator = count(distinct);
  let unregistered: number | undefined;
  if (roster) {
    const seen = distinctOf(distinct);
    numerator = 0;
    for (const h of seen) if (roster.households.has(h)) numerator++;
    unregistered = seen.size - numerator;
  }
  const denominator = scope.households;
  const extra = unregistered === undefined ? {} : { unregistered };
  if (!has(scope, 'waste-bin')) return { numerator, denominator, reason: 'no_waste_bins', ...extra };
  const warnings: QualityWarning[] = [];
  if (numerator > denominator && denominator > 0) warnings.push('numerator_exceeds_denominator');
  if (count(deposits) === 0) warnings.push('no_deposits');
  if (!roster) warnings.push('household_ids_unverified');
  else if (unregistered! > 0) warnings.push('unregistered_households');
  if (denominator === 0) return { numerator, denominator, reason: 'no_registered_households', warnings, ...extra };
  return { numerator, denominator, warnings, ...extra };
}

/**
 * Per building of the roster: its registered households that are among the distinct ones ÷ its
 * registered households. Empty without a roster (a household's building is not known).
 */
export function householdShareByBuilding(
  [distinct, deposits]: ReadonlyArray<readonly QueryRow[]>,
  scope: KpiScope,
): Map<string, Measure> {
  const out = new Map<string, Measure>();
  const roster = scope.roster;
  if (!roster) return out;
  const numerators = new Map<string, number>();
  for (const h of distinctOf(distinct)) {
    const b = roster.households.get(h);
    if (b !== undefined) numerators.set(b, (numerators.get(b) ?? 0) + 1);
  }
  const bins = has(scope, 'waste-bin');
  const warnings: QualityWarning[] = count(deposits) === 0 ? ['no_deposits'] : [];
  for (const b of scope.buildings) {
    const numerator = numerators.get(b.id) ?? 0;
    const denominator = b.households;
    if (!bins) out.set(b.id, { numerator, denominator, reason: 'no_waste_bins' });
    else if (denominator === 0) out.set(b.id, { numerator, denominator, reason: 'no_registered_households', warnings });
    else out.set(b.id, { numerator, denominator, warnings });
  }
  return out;
}

/** `"sorting" = 'correct'`. */
export const JUDGED_CORRECT = tagEquals('sorting', 'correct');
