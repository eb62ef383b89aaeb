/** `sorting_coverage` (docs/contract.md §5). */
import { householdShare, householdStatements, JUDGED_CORRECT } from './households.ts';
import type { KpiDefinition } from './types.ts';

/** Share of registered households that sorted correctly at least once in the period. Target ≥ 0.95. */
export const sortingCoverage: KpiDefinition = {
  id: 'sorting_coverage',
  version: 1,
  title: 'Sorting coverage',
  unit: 'ratio',
  formula: 'distinct households with ≥ 1 deposit judged correct ÷ registered households',
  numerator: 'distinct household pseudonyms of `deposit` points with sorting = correct in the period',
  denominator: 'registered households of the site (inventory)',
  direction: '>=',
  target: (config) => config.targets.sorting_coverage,
  statements: (scope) => householdStatements(scope, JUDGED_CORRECT),
  measure: householdShare,
};
