/** `bin_overflow_alarms` (docs/contract.md §5). */
import { tagEquals } from '../influxql.ts';
import { count, has } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/** Number of `overflow` alarms in the period. Met when ≤ the configured number for the period kind. */
export const binOverflowAlarms: KpiDefinition = {
  id: 'bin_overflow_alarms',
  version: 1,
  title: 'Bin overflow alarms',
  unit: 'count',
  formula: 'count of overflow alarms',
  numerator: '`alarm` points with alarm = overflow in the period',
  denominator: null,
  direction: '<=',
  target: (config, kind) => config.targets.bin_overflow_alarms[kind],
  statements: (scope) => [
    `SELECT COUNT("event_id") AS "n" FROM "alarm" WHERE ${scope.siteIs} AND ${scope.during} AND ${tagEquals('alarm', 'overflow')}`,
  ],
  measure: ([rows], scope) => {
    const numerator = count(rows);
    return has(scope, 'waste-bin')
      ? { numerator, denominator: null }
      : { numerator, denominator: null, reason: 'no_waste_bins' };
  },
};
