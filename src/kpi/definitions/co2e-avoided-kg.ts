/** `co2e_avoided_kg` (docs/contract.md §5). */
import { WASTE_CATEGORIES } from '../../config/schema.ts';
import { gramsBy, has, keptWeightStatement } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/**
 * kg CO₂e avoided: Σ over the categories of the weight of its deposits not sorted `incorrect` ×
 * its factor (`evaluation.co2eFactors`, kg CO₂e per kg), rounded to the gram. Informative; null
 * with `not_configured` when the hub has no factors (a 0 would claim no benefit).
 */
export const co2eAvoidedKg: KpiDefinition = {
  id: 'co2e_avoided_kg',
  version: 1,
  title: 'CO₂e avoided',
  unit: 'kg',
  formula: 'Σ over categories of kg deposited not sorted incorrect × the category’s kg CO₂e per kg',
  numerator: 'Σ `deposit.weight_kg` (sorting ≠ incorrect) by category × `evaluation.co2eFactors`',
  denominator: null,
  direction: null,
  target: () => null,
  statements: (scope) => (scope.co2eFactors ? [keptWeightStatement(scope)] : []),
  measure: ([kept], scope) => {
    const factors = scope.co2eFactors;
    if (!factors) return { numerator: 0, denominator: null, reason: 'not_configured' };
    const byCategory = gramsBy(kept, 'category');
    // Fixed category order and whole grams in: the same sum on every run (and in the ledger).
    const grams = WASTE_CATEGORIES.reduce((a, c) => a + factors[c] * (byCategory.get(c) ?? 0), 0);
    const numerator = Math.round(grams) / 1000;
    return has(scope, 'waste-bin')
      ? { numerator, denominator: null }
      : { numerator, denominator: null, reason: 'no_waste_bins' };
  },
};
