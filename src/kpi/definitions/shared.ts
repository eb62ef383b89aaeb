/** Helpers shared by the KPI definitions: reading counts out of InfluxQL rows. */
import type { DeviceType } from '../../config/inventory.ts';
import type { QueryRow } from '../../store/index.ts';
import type { KpiScope } from './types.ts';

/** The `n` column of an aggregate without GROUP BY; InfluxDB returns no series when nothing matched. */
export function count(rows: readonly QueryRow[] | undefined): number {
  const v = rows?.[0]?.values['n'];
  return typeof v === 'number' ? v : 0;
}

/** `n` by the value of the GROUP BY tag `tag`. */
export function countBy(rows: readonly QueryRow[] | undefined, tag: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows ?? []) {
    const key = r.tags[tag] ?? '';
    const v = r.values['n'];
    out.set(key, (out.get(key) ?? 0) + (typeof v === 'number' ? v : 0));
  }
  return out;
}

/** True when the inventory registers a device of `type` at the scope's site. */
export function has(scope: KpiScope, type: DeviceType): boolean {
  return scope.devices.some((d) => d.type === type);
}

/**
 * Deposited weight in the period, by category, of deposits not sorted `incorrect` (docs/contract.md
 * §5, the environmental-benefit KPIs): one statement the three weight KPIs share (compute.ts sends
 * a statement they repeat once), at most one row per category.
 */
export function keptWeightStatement(scope: KpiScope): string {
  return `SELECT SUM("weight_kg") AS "kg" FROM "deposit" WHERE ${scope.siteIs} AND ${scope.during} AND "sorting" != 'incorrect' GROUP BY "category"`;
}

/** Every deposited weight in the period (one row, none when nothing was deposited). */
export function allWeightStatement(scope: KpiScope): string {
  return `SELECT SUM("weight_kg") AS "kg" FROM "deposit" WHERE ${scope.siteIs} AND ${scope.during}`;
}

/**
 * Whole grams of the `kg` sums, by the GROUP BY tag `tag` ('' without one). InfluxDB adds floats
 * in its own order; rounding to the gram makes the sum independent of that order (deposits are
 * weighed to the gram or coarser: lvse-x2 sends grams), so numerators are exact and comparable.
 */
export function gramsBy(rows: readonly QueryRow[] | undefined, tag?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows ?? []) {
    const key = tag === undefined ? '' : (r.tags[tag] ?? '');
    const v = r.values['kg'];
    out.set(key, (out.get(key) ?? 0) + (typeof v === 'number' ? Math.round(v * 1000) : 0));
  }
  return out;
}
