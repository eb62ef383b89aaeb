/** `diversion_rate` (docs/contract.md §5). */
import { allWeightStatement, gramsBy, has, keptWeightStatement } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/** Categories that are diverted from residual waste when sorted right (not `incorrect`). */
export const DIVERTED = ['recyclable', 'kitchen', 'hazardous'] as const;

/**
 * Share of the deposited weight that was diverted: recyclable, kitchen and hazardous deposits not
 * sorted `incorrect` ÷ all deposits, in kg rounded to the gram. Target ≥ 0.35 (the national goal of
 * about 35 % urban household-waste recycling by 2025).
 */
export const diversionRate: KpiDefinition = {
  id: 'diversion_rate',
  version: 1,
  title: 'Diversion rate',
  unit: 'ratio',
  formula: 'kg of recyclable, kitchen and hazardous deposits not sorted incorrect ÷ kg of all deposits',
  numerator: 'Σ `deposit.weight_kg` with category recyclable, kitchen or hazardous and sorting ≠ incorrect',
  denominator: 'Σ `deposit.weight_kg` of every deposit in the period',
  direction: '>=',
  target: (config) => config.targets.diversion_rate,
  statements: (scope) => [keptWeightStatement(scope), allWeightStatement(scope)],
  measure: ([kept, all], scope) => {
    const byCategory = gramsBy(kept, 'category');
    const grams = DIVERTED.reduce((a, c) => a + (byCategory.get(c) ?? 0), 0);
    const totalGrams = gramsBy(all).get('') ?? 0;
    const [numerator, denominator] = [grams / 1000, totalGrams / 1000];
    if (!has(scope, 'waste-bin')) return { numerator, denominator, reason: 'no_waste_bins' };
    return totalGrams === 0 ? { numerator, denominator, reason: 'no_weighed_deposits' } : { numerator, denominator };
  },
};
