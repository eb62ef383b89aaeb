/** `sorting_accuracy` (docs/contract.md §5). */
import { tagIn } from '../influxql.ts';
import { countBy, has } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/** Share of judged deposits that were sorted correctly; `unchecked` ones are left out. Target ≥ 0.90. */
export const sortingAccuracy: KpiDefinition = {
  id: 'sorting_accuracy',
  version: 1,
  title: 'Sorting accuracy',
  unit: 'ratio',
  formula: 'deposits judged correct ÷ deposits judged correct or incorrect',
  numerator: '`deposit` points with sorting = correct in the period',
  denominator: '`deposit` points with sorting = correct or incorrect in the period',
  direction: '>=',
  target: (config) => config.targets.sorting_accuracy,
  statements: (scope) => [
    `SELECT COUNT("event_id") AS "n" FROM "deposit" WHERE ${scope.siteIs} AND ${scope.during} AND ${tagIn('sorting', ['correct', 'incorrect'])} GROUP BY "sorting"`,
  ],
  measure: ([rows], scope) => {
    const by = countBy(rows, 'sorting');
    const numerator = by.get('correct') ?? 0;
    const denominator = numerator + (by.get('incorrect') ?? 0);
    if (!has(scope, 'waste-bin')) return { numerator, denominator, reason: 'no_waste_bins' };
    return denominator === 0 ? { numerator, denominator, reason: 'no_judged_deposits' } : { numerator, denominator };
  },
};
