/**
 * Every KPI of docs/contract.md §5, in one table: one file a definition, each with its formula,
 * unit, numerator, denominator, direction and version; targets come from `kpi.targets` in config.
 */
import { binOverflowAlarms } from './bin-overflow-alarms.ts';
import { co2eAvoidedKg } from './co2e-avoided-kg.ts';
import { deviceAvailability } from './device-availability.ts';
import { diversionRate } from './diversion-rate.ts';
import { gateDeniedRate } from './gate-denied-rate.ts';
import { gateSecurityAlarms } from './gate-security-alarms.ts';
import { participationRate } from './participation-rate.ts';
import { recyclablesKg } from './recyclables-kg.ts';
import { sortingAccuracy } from './sorting-accuracy.ts';
import { sortingCoverage } from './sorting-coverage.ts';
import type { KpiDefinition, KpiId } from './types.ts';

export * from './types.ts';
export { countedHours } from './device-availability.ts';
export { SECURITY_ALARMS } from './gate-security-alarms.ts';
export { DIVERTED } from './diversion-rate.ts';

/** The KPIs, in the contract's order. */
export const KPI_DEFINITIONS: readonly KpiDefinition[] = Object.freeze([
  sortingCoverage,
  participationRate,
  sortingAccuracy,
  deviceAvailability,
  binOverflowAlarms,
  gateDeniedRate,
  gateSecurityAlarms,
  diversionRate,
  recyclablesKg,
  co2eAvoidedKg,
]);

const byId = new Map<string, KpiDefinition>(KPI_DEFINITIONS.map((d) => [d.id, d]));

/** The definition of `id`, or undefined. */
export function kpiDefinition(id: string): KpiDefinition | undefined {
  return byId.get(id);
}

/** True when `id` names a KPI. */
export function isKpiId(id: string): id is KpiId {
  return byId.has(id);
}
