/**
 * What a KPI definition is (docs/contract.md §5): its formula in words, unit, numerator and
 * denominator, direction of its target, a version, and how it is measured with InfluxQL.
 * Targets themselves are configuration (`kpi.targets`, defaults in src/config/schema.ts).
 */
import type { HubConfig, WASTE_CATEGORIES } from '../../config/schema.ts';
import type { DeviceType } from '../../config/inventory.ts';
import type { Roster } from '../../config/roster.ts';
import type { QueryRow } from '../../store/index.ts';
import type { Period, PeriodKind } from '../period.ts';

/** The KPIs of docs/contract.md §5, in its order. */
export const KPI_IDS = [
  'sorting_coverage',
  'participation_rate',
  'sorting_accuracy',
  'device_availability',
  'bin_overflow_alarms',
  'gate_denied_rate',
  'gate_security_alarms',
  'diversion_rate',
  'recyclables_kg',
  'co2e_avoided_kg',
] as const;
/** A KPI name, as in the `kpi` tag and the MQTT topic. */
export type KpiId = (typeof KPI_IDS)[number];

/** Why a value is `null`: its denominator is zero, or it does not apply to the site. */
export const NULL_REASONS = {
  no_registered_households: 'the inventory registers no household for the site',
  no_judged_deposits: 'no deposit judged correct or incorrect in the period',
  no_registered_devices: 'the inventory registers no device for the site',
  no_complete_hours: 'no hour of the period has ended yet',
  no_access_attempts: 'no access attempt in the period',
  no_waste_bins: 'the site has no waste-sorting station',
  no_access_gates: 'the site has no access gate',
  no_weighed_deposits: 'no deposited weight in the period',
  not_configured: 'the hub has no CO₂e factors (`evaluation.co2eFactors`)',
} as const;
export type NullReason = keyof typeof NULL_REASONS;

/** Data-quality warnings: the value is reported as computed, and flagged. */
export const QUALITY_WARNINGS = {
  numerator_exceeds_denominator: 'more distinct households deposited than the inventory registers',
  no_deposits: 'no deposit at all was recorded in the period: are the stations reporting?',
  unregistered_devices_heard: 'devices the inventory does not list reported at the site (not counted)',
  unregistered_households:
    'household ids outside the site’s roster deposited (not counted; see the `unregistered` field)',
  household_ids_unverified: 'the site has no roster: every household id that arrives is counted, unverified',
} as const;
export type QualityWarning = keyof typeof QUALITY_WARNINGS;

/** What a definition measures for: one site and one period. */
export interface KpiScope {
  readonly site: string;
  /** Registered households (inventory, or the roster's count). */
  readonly households: number;
  /** The site's roster (pseudonyms → building); undefined when household ids are unverified. */
  readonly roster?: Roster;
  /** The site's buildings with their registered households (the roster's when there is one). */
  readonly buildings: ReadonlyArray<{ readonly id: string; readonly households: number }>;
  /** Registered devices (inventory). */
  readonly devices: ReadonlyArray<{ readonly id: string; readonly type: DeviceType }>;
  readonly period: Period;
  /** The computation's clock (epoch ms); before the period's end the period is still running. */
  readonly now: number;
  /** `"site" = '…'`. */
  readonly siteIs: string;
  /** `time >= <start> AND time < <end>` of the period; the end is `now` while the period runs. */
  readonly during: string;
  /** kg CO₂e per kg of each waste category (`evaluation.co2eFactors`); undefined when not configured. */
  readonly co2eFactors?: Readonly<Record<WasteCategory, number>>;
}

/** A waste category of docs/contract.md §3. */
export type WasteCategory = (typeof WASTE_CATEGORIES)[number];

/** What the KPIs read of the config's `evaluation` section (its survey target is the surveys' own). */
export type EvaluationConfig = Pick<HubConfig['evaluation'], 'co2eFactors'>;

/** A definition's raw outcome; value, met and status are derived from it (result.ts). */
export interface Measure {
  /**
   * A count (households, deposits, device-hours, alarms, attempts), or for the weight KPIs kg
   * rounded to the gram (docs/contract.md §5).
   */
  readonly numerator: number;
  /** A count (or kg, for `diversion_rate`) for ratios; `null` for counts and amounts, which have none. */
  readonly denominator: number | null;
  /** Set when the value is `null`. */
  readonly reason?: NullReason;
  readonly warnings?: readonly QualityWarning[];
  /** Household KPIs with a roster: distinct household ids outside it (not counted). */
  readonly unregistered?: number;
}

/** The `kpi` section of the config. */
export type KpiConfig = HubConfig['kpi'];

/** One KPI. */
export interface KpiDefinition {
  readonly id: KpiId;
  /** Bumped when the formula changes, so stored values say which formula made them. */
  readonly version: number;
  readonly title: string;
  /** `ratio` (0–1; more than 1 only with a data-quality warning), `count`, or `kg` (an amount). */
  readonly unit: 'ratio' | 'count' | 'kg';
  readonly formula: string;
  readonly numerator: string;
  readonly denominator: string | null;
  /** `>=`: met when value ≥ target; `<=`: met when value ≤ target; `null`: informative, no target. */
  readonly direction: '>=' | '<=' | null;
  /** The configured target for periods of `kind`, or null when informative. */
  target(config: KpiConfig, kind: PeriodKind): number | null;
  /** InfluxQL statements (possibly none); their rows come back to {@link measure} in order. */
  statements(scope: KpiScope): string[];
  /** Numerator, denominator, reason and warnings from the rows of {@link statements}. */
  measure(results: ReadonlyArray<readonly QueryRow[]>, scope: KpiScope): Measure;
  /**
   * Per building (the household KPIs, with a roster only): building → its measure, from the same
   * rows. Undefined for KPIs that have no per-building value.
   */
  byBuilding?(results: ReadonlyArray<readonly QueryRow[]>, scope: KpiScope): ReadonlyMap<string, Measure>;
}
