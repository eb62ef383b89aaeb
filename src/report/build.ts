/**
 * The pure part of a monitoring report (docs/contract.md §5): every KPI with its target, met / not
 * met and the change from the previous period; per building coverage and participation with the
 * households still needed (buildings.ts); every KPI's trend (trend.ts); the silent, full and
 * alarming devices; the data-quality counts. {@link buildReport} does no I/O: gather.ts reads
 * InfluxDB and the dead-letter store and hands the raw facts in; the renderers turn the result
 * into JSON, Markdown and HTML in a language (i18n.ts). The result itself is language-neutral.
 */
import type { KpiId, KpiResult, Period, PeriodKind, QualityWarning } from '../kpi/index.ts';
import { formatLocal } from '../kpi/index.ts';
import { buildingRows, householdsNeeded, type ReportBuilding } from './buildings.ts';
import { changeOf } from './change.ts';
import { buildEvaluation, type EvaluationFacts, type EvaluationScorecard } from './evaluation.ts';
import { KPI_TITLES, type ReportLanguage } from './i18n.ts';
import { buildTrend, type ReportTrend } from './trend.ts';

export { changeOf };

/**
 * Version of the {@link ReportData} shape; bump on incompatible changes. 2: buildings, trend,
 * titles, `changePartial`, silent devices only past `report.silentAfter` and with their building.
 */
export const REPORT_VERSION = 2;

/** A bin reading at or above this fill percentage counts as "full" (with overflow alarms). */
export const FULL_FILL_PCT = 90;

/** Default length of the device lists (silent, full, alarming). */
export const DEFAULT_TOP = 10;

/** One registered device and when it was last heard (`device_health.heartbeat`) before the period end. */
export interface LastHeard {
  device: string;
  type: string;
  /** The inventory's building of the device, `none` when it names none. */
  building: string;
  /** Epoch ms of its last heartbeat, null when never heard. */
  lastMs: number | null;
}

/** What {@link buildReport} is given: the facts gather.ts read, nothing left to query. */
export interface ReportInput {
  site: { id: string; timezone: string; households: number };
  period: Period;
  /** The period before it (periodOf/previousPeriod). */
  previousPeriod: Period;
  /** This period's KPI results, in definition order. */
  kpis: readonly KpiResult[];
  /** The previous period's results (any order; missing KPIs give a null change). */
  previous: readonly KpiResult[];
  /** Every registered device of the site. */
  lastHeard: readonly LastHeard[];
  /** Per bin: readings with `fill_pct >= FULL_FILL_PCT` in the period. */
  fullReadings: Readonly<Record<string, number>>;
  /** Per bin: `overflow` alarms in the period. */
  overflowAlarms: Readonly<Record<string, number>>;
  /** Per gate: security alarms (forced_open, tailgating, climbing) by kind in the period. */
  securityAlarms: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Dead letters of the site received in the period: the reasons of each. */
  deadLetters: ReadonlyArray<{ reasons: readonly string[] }>;
  /** When the report was built, epoch ms; also "now" for a running period's silence. */
  now: number;
  /** This period's per-building results (household KPIs of a site with a roster; any order). */
  buildings: readonly KpiResult[];
  /** The site's buildings and their registered households (inventory, or its roster). */
  siteBuildings: ReadonlyArray<{ id: string; households: number }>;
  /** Stored site-wide results of the trend's periods (any order). */
  trend: readonly KpiResult[];
  /** How many periods the trend shows, this one included (`report.trendPeriods.<kind>`). */
  trendPeriods: number;
  /** A device is listed as silent once silent this long, ms (`report.silentAfter`). */
  silentAfterMs: number;
  /** Length of the device lists; default {@link DEFAULT_TOP}. */
  top?: number;
  /** The scorecard's facts: given for a quarter or year report only (evaluation.ts). */
  evaluation?: EvaluationFacts | undefined;
}

/** One KPI row of a report. */
export interface ReportKpi {
  kpi: KpiId;
  unit: KpiResult['unit'];
  value: number | null;
  target: number | null;
  direction: '>=' | '<=' | null;
  /** As KpiResult.met decided it (exactly, in integers): null when there is no value or no target. */
  met: boolean | null;
  numerator: number;
  denominator: number | null;
  status: KpiResult['status'];
  reason: string | null;
  warnings: readonly QualityWarning[];
  /** The previous period's value (null when it had none). */
  previous: number | null;
  /** value − previous; null unless both are numbers. */
  change: number | null;
  /** True while this period's result is not complete: the change may still move (docs/contract.md §5). */
  changePartial: boolean;
}

/** A device that has been silent, longest first. */
export interface SilentDevice {
  device: string;
  type: string;
  building: string;
  /** Last heard, local time with offset; null when never heard. */
  lastHeard: string | null;
  /** Hours from the last heartbeat to the period's end (or now, while it runs); null when never heard. */
  silentHours: number | null;
}

/** A bin ranked by how often it was full. */
export interface FullBin {
  device: string;
  fullReadings: number;
  overflowAlarms: number;
  /** fullReadings + overflowAlarms: the ranking key. */
  total: number;
}

/** A gate ranked by its security alarms. */
export interface AlarmingGate {
  device: string;
  forced_open: number;
  tailgating: number;
  climbing: number;
  total: number;
}

/** A monitoring report: what every renderer and (later) the API serve. */
export interface ReportData {
  version: number;
  site: string;
  timezone: string;
  households: number;
  period: { kind: PeriodKind; date: string; start: string; end: string; complete: boolean };
  previousPeriod: { date: string; start: string; end: string };
  generatedAt: string;
  kpis: ReportKpi[];
  /** The title of each KPI of the report, in every language (the rest of the JSON is ids and numbers). */
  titles: { kpis: Partial<Record<KpiId, Readonly<Record<ReportLanguage, string>>>> };
  /** Per building, worst coverage first; [] for a site without a roster. */
  buildings: ReportBuilding[];
  /** Households still needed site-wide for each household KPI's target (null: no value or target). */
  householdsNeeded: { sorting_coverage: number | null; participation_rate: number | null };
  /** Every KPI over the last `trend.periods` periods of this kind. */
  trend: ReportTrend;
  summary: { met: number; notMet: number; informative: number; noValue: number };
  /** Hours of silence from which a device is listed (`report.silentAfter`). */
  silentAfterHours: number;
  /** Registered devices silent at least `silentAfterHours`, longest first (never heard first), at most `top`. */
  silentDevices: SilentDevice[];
  /** Bins most often full, at most `top`, only those full at least once. */
  fullBins: FullBin[];
  /** Gates with most security alarms, at most `top`, only those with at least one. */
  alarmingGates: AlarmingGate[];
  /**
   * The evaluation scorecard of a quarter or year report, null for the other kinds (absent from
   * reports kept before it existed).
   */
  evaluation: EvaluationScorecard | null;
  dataQuality: {
    /** Dead letters of the site received in the period. */
    deadLetters: number;
    /** Reject notes by reason (a message refused for two reasons counts under both), most first. */
    deadLettersByReason: Array<{ reason: string; count: number }>;
    /** KPI data-quality warnings. */
    kpiWarnings: Array<{ kpi: KpiId; warning: QualityWarning }>;
  };
}

const HOUR_MS = 3_600_000;

const byTotal = <T extends { device: string; total: number }>(a: T, b: T): number =>
  b.total - a.total || a.device.localeCompare(b.device);

/** Builds a report from gathered facts. Pure: the same input always gives the same report. */
export function buildReport(input: ReportInput): ReportData {
  const { period: p, site } = input;
  const top = input.top ?? DEFAULT_TOP;
  const prev = new Map(input.previous.map((r) => [r.kpi, r]));
  const kpis: ReportKpi[] = input.kpis.map((r) => {
    const before = prev.get(r.kpi)?.value ?? null;
    return {
      kpi: r.kpi,
      unit: r.unit,
      value: r.value,
      target: r.target,
      direction: r.direction,
      met: r.met,
      numerator: r.numerator,
      denominator: r.denominator,
      status: r.status,
      reason: r.reason,
      warnings: r.warnings,
      previous: before,
      change: changeOf(r.value, before),
      changePartial: !r.complete,
    };
  });

  // Silence is measured up to the period's end, or up to now while the period runs.
  const until = Math.min(p.endMs, input.now);
  const silentDevices = input.lastHeard
    .filter((d) => d.lastMs === null || until - d.lastMs >= input.silentAfterMs)
    .sort((a, b) => (a.lastMs ?? -Infinity) - (b.lastMs ?? -Infinity) || a.device.localeCompare(b.device))
    .slice(0, top)
    .map((d) => ({
      device: d.device,
      type: d.type,
      building: d.building,
      lastHeard: d.lastMs === null ? null : formatLocal(d.lastMs, site.timezone),
      silentHours: d.lastMs === null ? null : Math.max(0, Math.round(((until - d.lastMs) / HOUR_MS) * 10) / 10),
    }));

  const bins = new Set([...Object.keys(input.fullReadings), ...Object.keys(input.overflowAlarms)]);
  const fullBins = [...bins]
    .map((device) => {
      const fullReadings = input.fullReadings[device] ?? 0;
      const overflowAlarms = input.overflowAlarms[device] ?? 0;
      return { device, fullReadings, overflowAlarms, total: fullReadings + overflowAlarms };
    })
    .filter((b) => b.total > 0)
    .sort(byTotal)
    .slice(0, top);

  const alarmingGates = Object.entries(input.securityAlarms)
    .map(([device, kinds]) => {
      const g = {
        device,
        forced_open: kinds['forced_open'] ?? 0,
        tailgating: kinds['tailgating'] ?? 0,
        climbing: kinds['climbing'] ?? 0,
      };
      return { ...g, total: g.forced_open + g.tailgating + g.climbing };
    })
    .filter((g) => g.total > 0)
    .sort(byTotal)
    .slice(0, top);

  const siteNeeded = (id: KpiId): number | null => {
    const r = input.kpis.find((k) => k.kpi === id);
    return r && r.value !== null ? householdsNeeded(r.target, r.denominator ?? site.households, r.numerator) : null;
  };

  const reasons = new Map<string, number>();
  for (const dl of input.deadLetters) for (const r of dl.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);

  return {
    version: REPORT_VERSION,
    site: site.id,
    timezone: site.timezone,
    households: site.households,
    period: {
      kind: p.kind,
      date: p.date,
      start: formatLocal(p.startMs, site.timezone),
      end: formatLocal(p.endMs, site.timezone),
      complete: input.now >= p.endMs,
    },
    previousPeriod: {
      date: input.previousPeriod.date,
      start: formatLocal(input.previousPeriod.startMs, site.timezone),
      end: formatLocal(input.previousPeriod.endMs, site.timezone),
    },
    generatedAt: new Date(input.now).toISOString(),
    kpis,
    titles: { kpis: Object.fromEntries(kpis.map((k) => [k.kpi, KPI_TITLES[k.kpi]])) },
    buildings: buildingRows(input.buildings, input.siteBuildings),
    householdsNeeded: {
      sorting_coverage: siteNeeded('sorting_coverage'),
      participation_rate: siteNeeded('participation_rate'),
    },
    // The report's own two periods show the report's values, so its rows and its chart agree.
    trend: buildTrend(p, input.trendPeriods, input.trend, [...input.previous, ...input.kpis]),
    summary: {
      met: kpis.filter((k) => k.met === true).length,
      notMet: kpis.filter((k) => k.met === false).length,
      informative: kpis.filter((k) => k.value !== null && k.target === null).length,
      noValue: kpis.filter((k) => k.value === null).length,
    },
    silentAfterHours: input.silentAfterMs / HOUR_MS,
    silentDevices,
    fullBins,
    alarmingGates,
    evaluation: input.evaluation ? buildEvaluation(input.evaluation, kpis) : null,
    dataQuality: {
      deadLetters: input.deadLetters.length,
      deadLettersByReason: [...reasons]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      kpiWarnings: kpis.flatMap((k) => k.warnings.map((warning) => ({ kpi: k.kpi, warning }))),
    },
  };
}
