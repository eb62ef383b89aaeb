/**
 * The I/O half of a monitoring report (docs/contract.md §5): reads the KPIs of the period and of the
 * one before, the devices' last heartbeats, full bins, gate security alarms and the site's dead
 * letters, then hands them to the pure {@link buildReport}.
 *
 * Rules (documented in docs/operations.md, "Monitoring reports"):
 * - per building: the stored per-building results of the period (`kpi` points with a `building`
 *   tag, docs/contract.md §4), or those computed with the site's when computing;
 * - trend: the stored site-wide results of the last `report.trendPeriods.<kind>` periods;
 * - silent devices: `SELECT last("heartbeat") FROM "device_health" … GROUP BY "device"` up to the
 *   period's end (or now while it runs), for the registered devices silent at least
 *   `report.silentAfter`; never heard come first;
 * - full bins: readings of `bin_level` with `fill_pct >= 90` plus `overflow` alarms in the period,
 *   counted per device;
 * - gates: `alarm` forced_open, tailgating and climbing in the period, per device and kind;
 * - dead letters: those of the site received during the period (arrival time), by reason.
 */
import type { Inventory } from '../config/inventory.ts';
import type { DeadLetterStore } from '../deadletters/store.ts';
import { HubError, isHubError } from '../errors.ts';
import type { HubConfig } from '../config/schema.ts';
import {
  ALL_BUILDINGS,
  computeKpiSet,
  periodLabel,
  periodOf,
  previousPeriod,
  readKpiResults,
  SECURITY_ALARMS,
  siteOf,
  tagEquals,
  tagIn,
  timeRange,
  type KpiConfig,
  type KpiSet,
  type Period,
  type PeriodKind,
} from '../kpi/index.ts';
import { query, type InfluxConnection, type QueryRow } from '../store/index.ts';
import { buildReport, FULL_FILL_PCT, type ReportData, type ReportInput } from './build.ts';
import { EVALUATED_KINDS, gatherEvaluation } from './evaluation.ts';
import { trendPeriods } from './trend.ts';

/** What {@link gatherReport} reads. */
export interface ReportDeps {
  conn: InfluxConnection;
  inventory: Inventory;
  /** The `kpi` section of the config (targets). */
  config: KpiConfig;
  /** The `report` section of the config (trend lengths, the silence threshold). */
  report: HubConfig['report'];
  /**
   * The `evaluation` section (CO₂e factors, prices, the satisfaction-gain target): without it a
   * computed `co2e_avoided_kg` is null `not_configured`, and a scorecard has the schema's defaults.
   */
  evaluation?: HubConfig['evaluation'];
  /** The dead-letter store of `<dataDir>/dead-letters` (only `list` is used). */
  deadLetters: Pick<DeadLetterStore, 'list'>;
  /**
   * `compute` (default): compute both periods' KPIs now; `stored`: read the `kpi` measurement,
   * computing a period whose results are not stored.
   */
  kpiSource?: 'compute' | 'stored';
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** Length of the device lists. */
  top?: number;
}

/** At most this many dead letters are read for one report. */
const MAX_DEAD_LETTERS = 1_000_000;

async function kpisOf(deps: ReportDeps, site: string, p: Period, now: number): Promise<KpiSet> {
  if (deps.kpiSource === 'stored') {
    const q = { site, period: p.kind, fromMs: p.startMs, toMs: p.startMs + 1 };
    const [stored, buildings] = await Promise.all([
      readKpiResults(deps.conn, deps.inventory, q),
      readKpiResults(deps.conn, deps.inventory, { ...q, building: ALL_BUILDINGS }),
    ]);
    if (stored.length > 0) return { site: stored, buildings };
  }
  return computeKpiSet(
    {
      conn: deps.conn,
      inventory: deps.inventory,
      config: deps.config,
      ...(deps.evaluation ? { evaluation: deps.evaluation } : {}),
      now: () => now,
    },
    site,
    p.kind,
    p.date,
  );
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** The InfluxQL statements of a report, in the order {@link facts} reads them. */
export function reportStatements(site: string, p: Period, now: number): string[] {
  const siteIs = tagEquals('site', site);
  const until = Math.min(p.endMs, now);
  const during = timeRange(p.startMs, until);
  return [
    `SELECT last("heartbeat") FROM "device_health" WHERE ${siteIs} AND time < ${BigInt(until) * 1_000_000n} GROUP BY "device"`,
    `SELECT COUNT("fill_pct") AS "n" FROM "bin_level" WHERE ${siteIs} AND ${during} AND "fill_pct" >= ${FULL_FILL_PCT} GROUP BY "device"`,
    `SELECT COUNT("event_id") AS "n" FROM "alarm" WHERE ${siteIs} AND ${during} AND ${tagEquals('alarm', 'overflow')} GROUP BY "device"`,
    `SELECT COUNT("event_id") AS "n" FROM "alarm" WHERE ${siteIs} AND ${during} AND ${tagIn('alarm', SECURITY_ALARMS)} GROUP BY "device", "alarm"`,
  ];
}

/** Rows of the report statements → the device facts of {@link ReportInput}. */
function facts(
  rows: readonly QueryRow[],
  devices: ReadonlyArray<{ id: string; type: string; building: string }>,
): Pick<ReportInput, 'lastHeard' | 'fullReadings' | 'overflowAlarms' | 'securityAlarms'> {
  const last = new Map<string, number>();
  const fullReadings: Record<string, number> = {};
  const overflowAlarms: Record<string, number> = {};
  const securityAlarms: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    const device = r.tags['device'];
    if (device === undefined) continue;
    if (r.statement === 0 && typeof r.values['time'] === 'number') last.set(device, r.values['time']);
    else if (r.statement === 1) fullReadings[device] = num(r.values['n']);
    else if (r.statement === 2) overflowAlarms[device] = num(r.values['n']);
    else if (r.statement === 3) (securityAlarms[device] ??= {})[r.tags['alarm'] ?? ''] = num(r.values['n']);
  }
  return {
    lastHeard: devices.map((d) => ({
      device: d.id,
      type: d.type,
      building: d.building,
      lastMs: last.get(d.id) ?? null,
    })),
    fullReadings,
    overflowAlarms,
    securityAlarms,
  };
}

/**
 * Gathers and builds the report of site `siteId` for the period of `kind` holding local day `date`.
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`; `HUB_ERR_KPI_PERIOD` (bad date, period not started);
 *   the store's query errors (`HUB_ERR_INFLUX_UNREACHABLE` is retryable).
 */
export async function gatherReport(
  deps: ReportDeps,
  siteId: string,
  kind: PeriodKind,
  date: string,
): Promise<ReportData> {
  const site = siteOf(deps.inventory, siteId);
  const period = periodOf(kind, date, site.timezone);
  const now = (deps.now ?? Date.now)();
  if (now < period.startMs) {
    throw new HubError(
      'HUB_ERR_KPI_PERIOD',
      `${site.id} ${periodLabel(period)} has not started yet (it starts at ${new Date(period.startMs).toISOString()})`,
    );
  }
  const before = previousPeriod(period);
  const devices = site.gateways.flatMap((g) =>
    g.devices.map((d) => ({ id: d.id, type: d.type, building: d.building ?? 'none' })),
  );
  const trendLength = deps.report.trendPeriods[kind];
  const first = trendPeriods(period, trendLength)[0]!;
  const evaluated = EVALUATED_KINDS.includes(kind)
    ? gatherEvaluation({ conn: deps.conn, inventory: deps.inventory, evaluation: deps.evaluation, now }, site, period)
    : undefined;
  const [kpis, previous, trend, rows, deadLetters, evaluation] = await Promise.all([
    kpisOf(deps, site.id, period, now),
    kpisOf(deps, site.id, before, now),
    readKpiResults(deps.conn, deps.inventory, {
      site: site.id,
      period: kind,
      fromMs: first.startMs,
      toMs: period.endMs,
    }),
    query(deps.conn, reportStatements(site.id, period, now), { epoch: 'ms' }).catch((e: unknown) => {
      if (!isHubError(e)) throw e;
      throw new HubError(e.code, `report of ${site.id} ${periodLabel(period)}: ${e.message}`, {
        cause: e,
        retryable: e.retryable,
      });
    }),
    deps.deadLetters.list({
      site: site.id,
      fromMs: period.startMs,
      toMs: Math.min(period.endMs, now + 1),
      limit: MAX_DEAD_LETTERS,
    }),
    evaluated,
  ]);
  return buildReport({
    site: { id: site.id, timezone: site.timezone, households: site.households },
    period,
    previousPeriod: before,
    kpis: kpis.site,
    previous: previous.site,
    buildings: kpis.buildings,
    siteBuildings: site.buildings ?? [],
    trend,
    trendPeriods: trendLength,
    silentAfterMs: deps.report.silentAfter,
    ...facts(rows, devices),
    deadLetters: deadLetters.map((dl) => ({ reasons: dl.rejects.map((r) => r.reason) })),
    now,
    ...(deps.top !== undefined ? { top: deps.top } : {}),
    evaluation,
  });
}
