/** `participation_rate` (docs/contract.md §5). */
import { householdShare, householdStatements } from './households.ts';
import type { KpiDefinition } from './types.ts';

/** Share of registered households that deposited at least once in the period. Target ≥ 0.90. */
export const participationRate: KpiDefinition = {
  id: 'participation_rate',
  version: 1,
  title: 'Participation rate',
  unit: 'ratio',
  formula: 'distinct households with ≥ 1 deposit ÷ registered households',
  numerator: 'distinct household pseudonyms of `deposit` points in the period (any sorting)',
  denominator: 'registered households of the site (inventory)',
  direction: '>=',
  target: (config) => config.targets.participation_rate,
  statements: (scope) => householdStatements(scope),
  measure: householdShare,
};
