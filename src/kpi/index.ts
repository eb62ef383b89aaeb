/**
 * The kpi stage (architecture.md: broker → normalise → store → kpi → report → api): the KPIs of
 * docs/contract.md §5, computed with InfluxQL per site and period in the site's timezone, stored
 * in the `kpi` measurement (section 4), published retained (section 2), on a node-cron schedule.
 * It imports from the root files, config and store only. See src/kpi/README.md.
 */
export {
  KPI_DEFINITIONS,
  KPI_IDS,
  NULL_REASONS,
  QUALITY_WARNINGS,
  SECURITY_ALARMS,
  countedHours,
  isKpiId,
  kpiDefinition,
  type EvaluationConfig,
  type KpiConfig,
  type KpiDefinition,
  type KpiId,
  type KpiScope,
  type Measure,
  type NullReason,
  type QualityWarning,
} from './definitions/index.ts';
export {
  addDays,
  firstDay,
  formatLocal,
  hoursOf,
  localDate,
  offsetMs,
  parseDate,
  periodAt,
  periodLabel,
  periodOf,
  previousPeriod,
  startOfDay,
  type Period,
  type PeriodKind,
} from './period.ts';
export { quoteIdent, quoteString, tagEquals, tagIn, timeRange } from './influxql.ts';
export {
  decimalFraction,
  evaluate,
  kpiTopic,
  meetsTarget,
  previousTopic,
  toMessage,
  toPoint,
  type KpiResult,
  type KpiStatus,
} from './result.ts';
export { computeKpiSet, computeKpis, siteOf, sitePeriod, type ComputeDeps, type KpiSet } from './compute.ts';
export {
  ALL_BUILDINGS,
  readKpiResults,
  recomputeKpis,
  writeKpiResults,
  type KpiQuery,
  type RecomputeDeps,
} from './persist.ts';
export { periodsToBackfill } from './backfill.ts';
export { LateMarks, WRITTEN_AT_ONCE, type LateMark, type LateMarksOptions, type WrittenProgress } from './late.ts';
export {
  createKpiScheduler,
  LATE_BATCH,
  LATE_CHECK_MS,
  type KpiScheduler,
  type LateReport,
  type Stoppable,
  type KpiSchedulerDeps,
  type PeriodComputed,
  type KpiSchedulerStats,
  type TickReport,
} from './scheduler.ts';
export {
  addMonths,
  computePayback,
  monthsBetween,
  PROJECTION_MONTHS,
  type Investment,
  type PaybackInput,
  type PaybackMonth,
  type PaybackPicture,
  type PaybackReason,
} from './payback.ts';
export { pricesOf, readPayback, type MonthRange, type PaybackDeps } from './payback-read.ts';
export * from './surveys/index.ts';
