/** `participation_rate` (docs/contract.md §5). */
import { householdShare, householdShareByBuilding, householdStatements } from './households.ts';
import type { KpiDefinition } from './types.ts';

/** Share of registered households that deposited at least once in the period. Target ≥ 0.90. */
export const participationRate: KpiDefinition = {
  id: 'participation_rate',
  // 2: with a roster, only its households count (src/kpi/README.md, "Rosters").
  version: 2,
  title: 'Participation rate',
  unit: 'ratio',
  formula: 'distinct households with ≥ 1 deposit ÷ registered households',
  numerator: 'distinct household pseudonyms (on the roster, if any) of `deposit` points in the period',
  denominator: 'registered households of the site (its roster, else the inventory count)',
  direction: '>=',
  target: (config) => config.targets.participation_rate,
  statements: (scope) => householdStatements(scope),
  measure: householdShare,
  byBuilding: householdShareByBuilding,
};
