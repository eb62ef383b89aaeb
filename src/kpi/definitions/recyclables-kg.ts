/** `recyclables_kg` (docs/contract.md §5). */
import { gramsBy, has, keptWeightStatement } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/** Weight of recyclable deposits not sorted `incorrect`, in kg rounded to the gram. Informative. */
export const recyclablesKg: KpiDefinition = {
  id: 'recyclables_kg',
  version: 1,
  title: 'Recyclables collected',
  unit: 'kg',
  formula: 'kg of recyclable deposits not sorted incorrect',
  numerator: 'Σ `deposit.weight_kg` with category recyclable and sorting ≠ incorrect',
  denominator: null,
  direction: null,
  target: () => null,
  statements: (scope) => [keptWeightStatement(scope)],
  measure: ([kept], scope) => {
    const numerator = (gramsBy(kept, 'category').get('recyclable') ?? 0) / 1000;
    return has(scope, 'waste-bin')
      ? { numerator, denominator: null }
      : { numerator, denominator: null, reason: 'no_waste_bins' };
  },
};
