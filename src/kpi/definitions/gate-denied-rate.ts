/** `gate_denied_rate` (docs/contract.md §5). */
import { countBy, has } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/** Share of access attempts that were denied. Informative: no target. */
export const gateDeniedRate: KpiDefinition = {
  id: 'gate_denied_rate',
  version: 1,
  title: 'Gate denied rate',
  unit: 'ratio',
  formula: 'denied ÷ all access attempts',
  numerator: '`access` points with result = denied in the period',
  denominator: 'all `access` points in the period',
  direction: null,
  target: () => null,
  statements: (scope) => [
    `SELECT COUNT("event_id") AS "n" FROM "access" WHERE ${scope.siteIs} AND ${scope.during} GROUP BY "result"`,
  ],
  measure: ([rows], scope) => {
    const by = countBy(rows, 'result');
    const numerator = by.get('denied') ?? 0;
    const denominator = [...by.values()].reduce((a, b) => a + b, 0);
    if (!has(scope, 'access-gate')) return { numerator, denominator, reason: 'no_access_gates' };
    return denominator === 0 ? { numerator, denominator, reason: 'no_access_attempts' } : { numerator, denominator };
  },
};
