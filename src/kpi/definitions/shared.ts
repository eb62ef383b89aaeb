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
