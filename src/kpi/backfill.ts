/**
 * The start's backfill (src/kpi/README.md, "Late data and backfill"): which ended periods within
 * `ingest.maxAge` have no stored result, or one computed before the period was complete
 * (`complete` false: the hub stopped while it ran). The scheduler marks them and recomputes them a
 * few at a time, as it does late data.
 */
import type { Inventory } from '../config/inventory.ts';
import { query, type InfluxConnection } from '../store/index.ts';
import { KPI_IDS } from './definitions/index.ts';
import { tagEquals, timeRange } from './influxql.ts';
import { periodAt, previousPeriod, type Period, type PeriodKind } from './period.ts';

/**
 * The ended periods of `site` (every kind of `kinds`) that end after `now - maxAgeMs`, except the
 * one just before the current (the scheduler recomputes that at every tick until it closes), whose
 * stored results are missing or incomplete. One query per site.
 */
export async function periodsToBackfill(
  conn: InfluxConnection,
  inventory: Inventory,
  site: string,
  kinds: readonly PeriodKind[],
  now: number,
  maxAgeMs: number,
): Promise<Period[]> {
  const tz = inventory.site(site)?.timezone;
  if (tz === undefined) return [];
  const candidates: Period[] = [];
  for (const kind of kinds) {
    let p = previousPeriod(previousPeriod(periodAt(kind, now, tz)));
    for (; p.endMs > now - maxAgeMs; p = previousPeriod(p)) candidates.push(p);
  }
  if (candidates.length === 0) return [];
  const from = Math.min(...candidates.map((p) => p.startMs));
  const rows = await query(
    conn,
    `SELECT "complete" FROM "kpi" WHERE ${tagEquals('site', site)} AND ${timeRange(from, now)} GROUP BY "kpi", "period"`,
    { epoch: 'ms' },
  );
  // Per kind and start: the KPIs stored complete, and whether any is stored incomplete.
  const complete = new Map<string, Set<string>>();
  const incomplete = new Set<string>();
  for (const r of rows) {
    const at = `${r.tags['period']}\u0000${String(r.values['time'])}`;
    if (r.values['complete'] === true) {
      const s = complete.get(at) ?? new Set<string>();
      complete.set(at, s.add(r.tags['kpi'] ?? ''));
    } else incomplete.add(at);
  }
  return candidates.filter((p) => {
    const at = `${p.kind}\u0000${p.startMs}`;
    return incomplete.has(at) || KPI_IDS.some((id) => !complete.get(at)?.has(id));
  });
}
