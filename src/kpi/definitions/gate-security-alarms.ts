/** `gate_security_alarms` (docs/contract.md §5). */
import { tagIn } from '../influxql.ts';
import { count, has } from './shared.ts';
import type { KpiDefinition } from './types.ts';

/** The gate alarms that mean someone got in who should not have. */
export const SECURITY_ALARMS = ['forced_open', 'tailgating', 'climbing'] as const;

/** Number of forced_open, tailgating and climbing alarms in the period. Informative: no target. */
export const gateSecurityAlarms: KpiDefinition = {
  id: 'gate_security_alarms',
  version: 1,
  title: 'Gate security alarms',
  unit: 'count',
  formula: 'count of forced_open, tailgating and climbing alarms',
  numerator: '`alarm` points with alarm = forced_open, tailgating or climbing in the period',
  denominator: null,
  direction: null,
  target: () => null,
  statements: (scope) => [
    `SELECT COUNT("event_id") AS "n" FROM "alarm" WHERE ${scope.siteIs} AND ${scope.during} AND ${tagIn('alarm', SECURITY_ALARMS)}`,
  ],
  measure: ([rows], scope) => {
    const numerator = count(rows);
    return has(scope, 'access-gate')
      ? { numerator, denominator: null }
      : { numerator, denominator: null, reason: 'no_access_gates' };
  },
};
