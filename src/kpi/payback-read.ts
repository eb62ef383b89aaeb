/**
 * Reads what the payback picture needs (docs/contract.md §5, "Funding and payback"): the site's
 * evaluation settings from the inventory and the hub's prices, and from InfluxDB the kg deposited
 * per site-local month and category, not sorted `incorrect`. Months are the site's calendar months
 * (period.ts), as the KPI periods are. One `/query` request holds a statement per month, each
 * answering at most one row per category, so a long clock stays far from any `max-row-limit`.
 */
import type { HubConfig, WasteCategory } from '../config/schema.ts';
import { WASTE_CATEGORIES } from '../config/schema.ts';
import type { Inventory, SiteData } from '../config/inventory.ts';
import { HubError, isHubError } from '../errors.ts';
import { query, type InfluxConnection, type QueryRow } from '../store/index.ts';
import { siteOf } from './compute.ts';
import { gramsBy } from './definitions/shared.ts';
import { quoteString, tagEquals, timeRange } from './influxql.ts';
import { computePayback, monthsBetween, type PaybackPicture } from './payback.ts';
import { localDate, periodOf } from './period.ts';

/** What {@link readPayback} reads. */
export interface PaybackDeps {
  conn: InfluxConnection;
  inventory: Inventory;
  /** The hub's `evaluation` section (prices). */
  config: HubConfig['evaluation'];
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

/** Which months the answer lists (`YYYY-MM`, both included); the sums always run from the clock's start. */
export interface MonthRange {
  from?: string | undefined;
  to?: string | undefined;
  /**
   * The picture as it stood when this month (`YYYY-MM`) ended: the clock stops there, so
   * `recoveredIn` and the projection use no later month (an evaluation report of a past quarter,
   * docs/contract.md §5 "Evaluation scorecard"). Ignored when it is the running month or later.
   */
  asOf?: string | undefined;
}

/**
 * The payback picture of site `siteId`, with the site id.
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`; the store's query errors (`HUB_ERR_INFLUX_UNREACHABLE` is retryable).
 */
export async function readPayback(
  deps: PaybackDeps,
  siteId: string,
  range: MonthRange = {},
): Promise<PaybackPicture & { site: string }> {
  const site = siteOf(deps.inventory, siteId);
  const ev = site.evaluation;
  const tz = site.timezone;
  const currentMonth = localDate((deps.now ?? Date.now)(), tz).slice(0, 7);
  const prices = pricesOf(site, deps.config);
  const start = ev?.startMonth ?? (await firstMonth(deps.conn, site));
  const last = range.asOf !== undefined && range.asOf < currentMonth ? range.asOf : currentMonth;
  const months = start === undefined ? [] : monthsBetween(start, last);
  const grams = prices ? await monthlyGrams(deps.conn, site, months) : new Map();
  const picture = computePayback({
    months,
    currentMonth,
    grams,
    prices,
    monthlyOperatingCost: ev?.monthlyOperatingCost ?? 0,
    monthlyOtherIncome: ev?.monthlyOtherIncome ?? 0,
    investment: ev?.investment,
  });
  const shown = picture.months.filter(
    (m) => (range.from === undefined || m.month >= range.from) && (range.to === undefined || m.month <= range.to),
  );
  return { site: site.id, ...picture, months: shown };
}

/** The site's price of each category (its override, else the hub's); undefined if one has none. */
export function pricesOf(
  site: Readonly<SiteData>,
  config: Pick<HubConfig['evaluation'], 'prices'>,
): Record<WasteCategory, number> | undefined {
  const out: Partial<Record<WasteCategory, number>> = {};
  for (const c of WASTE_CATEGORIES) {
    const price = site.evaluation?.prices?.[c] ?? config.prices?.[c];
    if (price === undefined) return undefined;
    out[c] = price;
  }
  return out as Record<WasteCategory, number>;
}

/** Wrap a store error with the site, keeping its code and retryability. */
function about(site: string, e: unknown): unknown {
  if (!isHubError(e)) return e;
  return new HubError(e.code, `payback of ${site}: ${e.message}`, { cause: e, retryable: e.retryable });
}

/** The site-local month of the site's first deposit, undefined when it has none. */
async function firstMonth(conn: InfluxConnection, site: Readonly<SiteData>): Promise<string | undefined> {
  // A selector without GROUP BY time answers the point's own time.
  const statement = `SELECT FIRST("weight_kg") AS "kg" FROM "deposit" WHERE ${tagEquals('site', site.id)}`;
  let rows;
  try {
    rows = await query(conn, statement, { epoch: 'ms' });
  } catch (e) {
    throw about(site.id, e);
  }
  const t = rows[0]?.values['time'];
  return typeof t === 'number' ? localDate(t, site.timezone).slice(0, 7) : undefined;
}

/** Whole grams not sorted `incorrect`, by month then category. */
async function monthlyGrams(
  conn: InfluxConnection,
  site: Readonly<SiteData>,
  months: readonly string[],
): Promise<Map<string, Partial<Record<string, number>>>> {
  const out = new Map<string, Partial<Record<string, number>>>();
  if (months.length === 0) return out;
  const statements = months.map((month) => {
    const p = periodOf('month', `${month}-01`, site.timezone);
    // `unchecked` deposits are sold too: only a judged-wrong deposit is left out (contract §5).
    return (
      `SELECT SUM("weight_kg") AS "kg" FROM "deposit" WHERE ${tagEquals('site', site.id)} AND ` +
      `${timeRange(p.startMs, p.endMs)} AND "sorting" != ${quoteString('incorrect')} GROUP BY "category"`
    );
  });
  let rows;
  try {
    rows = await query(conn, statements, { epoch: 'ms' });
  } catch (e) {
    throw about(site.id, e);
  }
  const byStatement = months.map((): QueryRow[] => []);
  for (const r of rows) byStatement[r.statement]?.push(r);
  months.forEach((month, i) => {
    const grams = gramsBy(byStatement[i], 'category');
    if (grams.size > 0) out.set(month, Object.fromEntries(grams));
  });
  return out;
}
