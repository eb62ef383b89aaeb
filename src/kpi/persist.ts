/**
 * KPI results in and out of the `kpi` measurement (docs/contract.md §4: tags site, kpi, period;
 * stamped at the period's start, so recomputing a period overwrites its points).
 *
 * InfluxDB merges the field sets of a point written again at the same series and time: a result
 * that has become null would keep the old `value` and `met`. So before writing null results the
 * old point is looked up and, when it has a value, deleted (InfluxQL `DELETE`, 1.x). On 2.x/3.x,
 * whose InfluxQL has no DELETE, a stale `value` may remain next to `status = 'null'`: readers
 * (as {@link readKpiResults} does) must take `status` as authoritative.
 */
import type { Inventory } from '../config/inventory.ts';
import { query, type InfluxConnection, type PointWriter } from '../store/index.ts';
import { computeKpis, siteOf, type ComputeDeps } from './compute.ts';
import { KPI_IDS, kpiDefinition, type KpiId, type NullReason, type QualityWarning } from './definitions/index.ts';
import { quoteIdent, tagEquals, tagIn, timeRange } from './influxql.ts';
import { formatLocal, localDate, periodOf, type PeriodKind } from './period.ts';
import { toPoint, type KpiResult } from './result.ts';

const FIELDS = [
  'value',
  'target',
  'met',
  'numerator',
  'denominator',
  'status',
  'reason',
  'warnings',
  'complete',
  'computed_at',
  'version',
];

/** `"site" = … AND "period" = … AND time = <start>` of a result. */
function pointOf(r: KpiResult): string {
  const start = Date.parse(r.start);
  return `${tagEquals('site', r.site)} AND ${tagEquals('period', r.period)} AND ${timeRange(start, start + 1)}`;
}

/** Deletes the stored `value`/`met` of results that are null now (1.x only; see the file comment). */
async function clearStaleValues(conn: InfluxConnection, results: readonly KpiResult[]): Promise<void> {
  const nulls = results.filter((r) => r.value === null);
  if (nulls.length === 0 || conn.version !== 1) return;
  const groups = new Map<string, KpiResult[]>();
  for (const r of nulls) groups.set(pointOf(r), [...(groups.get(pointOf(r)) ?? []), r]);
  const lookups = [...groups].map(
    ([where, rs]) =>
      `SELECT "value" FROM "kpi" WHERE ${where} AND ${tagIn(
        'kpi',
        rs.map((r) => r.kpi),
      )} GROUP BY "kpi"`,
  );
  const rows = await query(conn, lookups, { epoch: 'ms' });
  const wheres = [...groups.keys()];
  const deletes: string[] = [];
  for (const row of rows) {
    const where = wheres[row.statement];
    const kpi = row.tags['kpi'];
    if (where !== undefined && kpi !== undefined && typeof row.values['value'] === 'number') {
      deletes.push(`DELETE FROM "kpi" WHERE ${where} AND ${tagEquals('kpi', kpi)}`);
    }
  }
  if (deletes.length > 0) await query(conn, deletes);
}

/**
 * Stores `results` as `kpi` points (one per site, KPI and period: a rewrite overwrites).
 * @throws HubError of the writer or the store (retryable ones: try again later).
 */
export async function writeKpiResults(
  conn: InfluxConnection,
  writer: PointWriter,
  results: readonly KpiResult[],
): Promise<void> {
  if (results.length === 0) return;
  await clearStaleValues(conn, results);
  await writer.write(results.map(toPoint));
}

/** What {@link recomputeKpis} needs: a computation's dependencies and a writer. */
export interface RecomputeDeps extends ComputeDeps {
  writer: PointWriter;
}

/**
 * Computes every KPI of a site for the period of `kind` holding local day `date`, and stores them.
 * Nothing is written when the computation fails (InfluxDB unreachable: retryable HubError).
 */
export async function recomputeKpis(
  deps: RecomputeDeps,
  siteId: string,
  kind: PeriodKind,
  date: string,
): Promise<KpiResult[]> {
  const results = await computeKpis(deps, siteId, kind, date);
  await writeKpiResults(deps.conn, deps.writer, results);
  return results;
}

/** Which stored results {@link readKpiResults} returns. */
export interface KpiQuery {
  site: string;
  period: PeriodKind;
  /** Periods starting at or after this instant (epoch ms). */
  fromMs: number;
  /** Periods starting before this instant (epoch ms). */
  toMs: number;
  /** Only these KPIs; default all. */
  kpis?: readonly KpiId[];
}

/**
 * Stored results of a site, by period start then in definition order: what reports and the API
 * read. A stored value is ignored when its `status` is `null`.
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`, or the store's query errors.
 */
export async function readKpiResults(conn: InfluxConnection, inventory: Inventory, q: KpiQuery): Promise<KpiResult[]> {
  const tz = siteOf(inventory, q.site).timezone;
  const only = q.kpis && q.kpis.length > 0 ? ` AND ${tagIn('kpi', q.kpis)}` : '';
  const rows = await query(
    conn,
    `SELECT ${FIELDS.map(quoteIdent).join(', ')} FROM "kpi" WHERE ${tagEquals('site', q.site)} AND ${tagEquals('period', q.period)} AND ${timeRange(q.fromMs, q.toMs)}${only} GROUP BY "kpi"`,
    { epoch: 'ms' },
  );
  const out: Array<{ at: number; order: number; result: KpiResult }> = [];
  for (const row of rows) {
    const def = kpiDefinition(row.tags['kpi'] ?? '');
    const v = row.values;
    const at = v['time'];
    if (!def || typeof at !== 'number') continue;
    const p = periodOf(q.period, localDate(at, tz), tz);
    const isNull = v['status'] === 'null';
    const num = (k: string): number | null => (typeof v[k] === 'number' ? (v[k] as number) : null);
    const text = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '');
    const result: KpiResult = {
      site: q.site,
      kpi: def.id,
      period: q.period,
      date: p.date,
      timezone: tz,
      start: formatLocal(p.startMs, tz),
      end: formatLocal(p.endMs, tz),
      unit: def.unit,
      value: isNull ? null : num('value'),
      target: num('target'),
      direction: def.direction,
      met: isNull || typeof v['met'] !== 'boolean' ? null : v['met'],
      numerator: num('numerator') ?? 0,
      denominator: num('denominator'),
      status: isNull ? 'null' : text('status') === 'warning' ? 'warning' : 'ok',
      reason: isNull ? ((text('reason') || null) as NullReason | null) : null,
      warnings: text('warnings') ? (text('warnings').split(',') as QualityWarning[]) : [],
      complete: v['complete'] === true,
      computedAt: text('computed_at'),
      version: num('version') ?? 0,
    };
    out.push({ at, order: KPI_IDS.indexOf(def.id), result });
  }
  return out.sort((a, b) => a.at - b.at || a.order - b.order).map((o) => o.result);
}
