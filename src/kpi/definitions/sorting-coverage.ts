/** `sorting_coverage` (docs/contract.md §5). */
import { householdShare, householdShareByBuilding, householdStatements, JUDGED_CORRECT } from './households.ts';
import type { KpiDefinition } from './types.ts';

/** Share of registered households that sorted correctly at least once in the period. Target ≥ 0.95. */
export const sortingCoverage: KpiDefinition = {
  id: 'sorting_coverage',
  // 2: with a roster, only its households count (src/kpi/README.md, "Rosters").
  version: 2,
  title: 'Sorting coverage',
  unit: 'ratio',
  formula: 'distinct households with ≥ 1 deposit judged correct ÷ registered households',
  numerator: 'distinct household pseudonyms (on the roster, if any) of `deposit` points with sorting = correct',
  denominator: 'registered households of the site (its roster, else the inventory count)',
  direction: '>=',
  target: (config) => config.targets.sorting_coverage,
  statements: (scope) => householdStatements(scope, JUDGED_CORRECT),
  measure: householdShare,
  byBuilding: householdShareByBuilding,
};
