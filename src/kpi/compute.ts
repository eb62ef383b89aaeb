/**
 * Computes every KPI of docs/contract.md §5 for one site and one period with InfluxQL against
 * InfluxDB: the statements of all definitions go in one `/query` request, and each definition
 * reads its own statements' rows back. Nothing is written here (see persist.ts).
 *
 * InfluxDB unreachable (or refusing the query) is an error, never a zero: the HubError of the store
 * (`HUB_ERR_INFLUX_UNREACHABLE`, retryable) is rethrown with the site and period in its message,
 * and the caller writes nothing.
 */
import type { Inventory, SiteData } from '../config/inventory.ts';
import { HubError, isHubError } from '../errors.ts';
import { query, type InfluxConnection, type QueryRow } from '../store/index.ts';
import { KPI_DEFINITIONS, type EvaluationConfig, type KpiConfig, type KpiScope } from './definitions/index.ts';
import { tagEquals, timeRange } from './influxql.ts';
import { localDate, periodLabel, periodOf, type Period, type PeriodKind } from './period.ts';
import { evaluate, type KpiResult } from './result.ts';

/** What a computation reads. */
export interface ComputeDeps {
  /** The InfluxDB queried (InfluxQL over `/query`). */
  conn: InfluxConnection;
  inventory: Inventory;
  /** The `kpi` section of the config (targets). */
  config: KpiConfig;
  /**
   * The `evaluation` section of the config (CO₂e factors). Every caller in src/ passes the hub's;
   * without it `co2e_avoided_kg` is null `not_configured`.
   */
  evaluation?: EvaluationConfig;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

/** The site `id` of the inventory. @throws HubError `HUB_ERR_UNKNOWN_SITE`. */
export function siteOf(inventory: Inventory, id: string): Readonly<SiteData> {
  const site = inventory.site(id);
  if (!site)
    throw new HubError(
      'HUB_ERR_UNKNOWN_SITE',
      `no site "${id}" in the inventory (sites: ${inventory.sites.map((s) => s.id).join(', ')})`,
    );
  return site;
}

/**
 * The period of `kind` holding the local day `date` (`YYYY-MM-DD`) of site `siteId`, in the
 * site's timezone; without `date`, the one holding `now`.
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`, `HUB_ERR_KPI_PERIOD` (not a calendar date).
 */
export function sitePeriod(
  inventory: Inventory,
  siteId: string,
  kind: PeriodKind,
  date?: string,
  now = Date.now(),
): Period {
  const tz = siteOf(inventory, siteId).timezone;
  return periodOf(kind, date ?? localDate(now, tz), tz);
}

/** The registered devices of a site. */
function devicesOf(site: Readonly<SiteData>): KpiScope['devices'] {
  return site.gateways.flatMap((g) => g.devices.map((d) => ({ id: d.id, type: d.type })));
}

/**
 * Every KPI of site `siteId` for the period of `kind` holding local day `date`, in definition order.
 * A running period is measured from its start up to now (`complete: false`).
 * Site-wide results only; {@link computeKpiSet} gives the per-building ones too.
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`; `HUB_ERR_KPI_PERIOD` for a bad date or a period that has
 *   not started; the store's query errors (`HUB_ERR_INFLUX_UNREACHABLE` is retryable).
 */
export async function computeKpis(
  deps: ComputeDeps,
  siteId: string,
  kind: PeriodKind,
  date: string,
): Promise<KpiResult[]> {
  return (await computeKpiSet(deps, siteId, kind, date)).site;
}

/** What {@link computeKpiSet} returns. */
export interface KpiSet {
  /** Every KPI of the site, in definition order (no `building`). */
  site: KpiResult[];
  /**
   * With a roster: the household KPIs of each building (`building` set), by building then
   * definition order; empty without one.
   */
  buildings: KpiResult[];
}

/** As {@link computeKpis}, with the per-building results of a site that has a roster. */
export async function computeKpiSet(
  deps: ComputeDeps,
  siteId: string,
  kind: PeriodKind,
  date: string,
): Promise<KpiSet> {
  const site = siteOf(deps.inventory, siteId);
  const roster = deps.inventory.roster(site.id);
  const period = periodOf(kind, date, site.timezone);
  const now = (deps.now ?? Date.now)();
  if (now < period.startMs) {
    throw new HubError(
      'HUB_ERR_KPI_PERIOD',
      `${site.id} ${periodLabel(period)} has not started yet (it starts at ${new Date(period.startMs).toISOString()})`,
    );
  }
  const scope: KpiScope = {
    site: site.id,
    households: site.households,
    ...(roster ? { roster } : {}),
    buildings: site.buildings ?? [],
    devices: devicesOf(site),
    period,
    now,
    siteIs: tagEquals('site', site.id),
    // A running period is measured up to now: "the period so far" (a point a device stamped a
    // little ahead of the hub's clock counts once its time has come).
    during: timeRange(period.startMs, Math.min(period.endMs, now)),
    ...(deps.evaluation?.co2eFactors ? { co2eFactors: deps.evaluation.co2eFactors } : {}),
  };

  // One request: statement i of the joined text is statement_id i in the answer. A statement
  // several definitions share (the deposited weights) is sent once: fewer rows to answer.
  const plan = KPI_DEFINITIONS.map((def) => ({ def, statements: def.statements(scope) }));
  const all = [...new Set(plan.flatMap((p) => p.statements))];
  const index = new Map(all.map((text, i) => [text, i]));
  const byStatement: QueryRow[][] = all.map(() => []);
  if (all.length > 0) {
    let rows: QueryRow[];
    try {
      rows = await query(deps.conn, all, { epoch: 'ms' });
    } catch (e) {
      if (!isHubError(e)) throw e;
      throw new HubError(e.code, `KPIs of ${site.id} ${periodLabel(period)}: ${e.message}`, {
        cause: e,
        retryable: e.retryable,
      });
    }
    for (const r of rows) byStatement[r.statement]?.push(r);
  }

  const rosterVersion = roster?.version ?? '';
  const perBuilding = new Map<string, KpiResult[]>();
  const results = plan.map(({ def, statements }) => {
    const rows = statements.map((text) => byStatement[index.get(text)!]!);
    const ctx = { site: site.id, period, target: def.target(deps.config, kind), now, rosterVersion };
    for (const [building, m] of def.byBuilding?.(rows, scope) ?? []) {
      const list = perBuilding.get(building) ?? [];
      list.push(evaluate(def, m, { ...ctx, building }));
      perBuilding.set(building, list);
    }
    return evaluate(def, def.measure(rows, scope), ctx);
  });
  return { site: results, buildings: [...perBuilding.values()].flat() };
}
