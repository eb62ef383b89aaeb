/**
 * Helpers of the KPI tests: a fresh database on the run's InfluxDB, small inventories, and
 * hand-built points shaped as the normaliser writes them (docs/contract.md §4).
 */
import { Inventory, type DeviceType, type InventoryData } from '../../src/config/inventory.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { KpiConfig } from '../../src/kpi/index.ts';
import { nsFromMs, type Point } from '../../src/point.ts';
import {
  connectInflux,
  ensureDatabase,
  InfluxPointWriter,
  query,
  type InfluxConnection,
} from '../../src/store/index.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';

/** A new database on the shared server, its connection and a writer. */
export async function freshDatabase(
  prefix: string,
): Promise<{ database: string; conn: InfluxConnection; writer: InfluxPointWriter }> {
  const database = uniqueName(prefix);
  const conn = connectInflux(sharedSettings({ database }));
  await ensureDatabase(conn);
  return { database, conn, writer: new InfluxPointWriter(conn) };
}

/** The default `kpi` config section, with `overrides` of its targets. */
export function kpiConfig(
  targets: Partial<Record<string, unknown>> = {},
  rest: Record<string, unknown> = {},
): KpiConfig {
  return configSchema.parse({ pseudonymKey: 'kpi-test-pseudonym-key', kpi: { ...rest, targets } }).kpi;
}

/** A site for {@link inventoryOf}. */
export interface SiteSpec {
  id: string;
  timezone?: string;
  households: number;
  devices: Array<[string, DeviceType]>;
}

/** An inventory (not validated: tests may use site ids the schema would refuse). */
export function inventoryOf(...sites: SiteSpec[]): Inventory {
  const data: InventoryData = {
    sites: sites.map((s) => ({
      id: s.id,
      timezone: s.timezone ?? 'Asia/Shanghai',
      households: s.households,
      gateways: [
        {
          id: `gw-${s.id}`,
          secret: 'scrypt$test',
          devices: s.devices.map(([id, type]) => ({ id, type, model: 'generic-v1' })),
        },
      ],
    })),
  };
  return new Inventory(data);
}

let seq = 0;
/** A unique nanosecond time at `iso` (sub-millisecond counter: two points never collide). */
function at(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad time ${iso}`);
  return nsFromMs(ms, (seq = (seq + 1) % 1_000_000));
}

const common = (site: string, device: string): Record<string, string> => ({
  site,
  gateway: `gw-${site}`,
  device,
  building: 'none',
});

/** A `deposit` event. */
export function deposit(
  site: string,
  device: string,
  household: string,
  sorting: 'correct' | 'incorrect' | 'unchecked',
  iso: string,
): Point {
  return {
    measurement: 'deposit',
    tags: { ...common(site, device), category: 'kitchen', sorting, auth: 'card' },
    fields: { household: `px_${household}`, weight_kg: 1.2, event_id: `e-${seq}` },
    time: at(iso),
  };
}

/** A heartbeat (`device_health.heartbeat = true`), as every accepted message writes. */
export function heartbeat(site: string, device: string, iso: string, type: DeviceType = 'waste-bin'): Point {
  return {
    measurement: 'device_health',
    tags: { ...common(site, device), device_type: type },
    fields: { heartbeat: true },
    time: at(iso),
  };
}

/** An `alarm` event. */
export function alarm(site: string, device: string, kind: string, iso: string, type: DeviceType = 'waste-bin'): Point {
  return {
    measurement: 'alarm',
    tags: { ...common(site, device), device_type: type, alarm: kind, severity: 'warning' },
    fields: { event_id: `a-${seq}` },
    time: at(iso),
  };
}

/** An `access` attempt. */
export function access(site: string, device: string, result: 'granted' | 'denied', iso: string): Point {
  return {
    measurement: 'access',
    tags: { ...common(site, device), result, method: 'card', direction: 'in', subject: 'resident' },
    fields: { event_id: `g-${seq}`, ...(result === 'denied' ? { reason: 'expired' } : {}) },
    time: at(iso),
  };
}

/** `iso` plus `minutes`. */
export function plus(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** Stored `kpi` points of a site and period kind: `{kpi → fields}` (one row per point). */
export async function storedKpis(
  conn: InfluxConnection,
  site: string,
  period: string,
): Promise<Array<Record<string, unknown>>> {
  const rows = await query(conn, `SELECT * FROM "kpi" WHERE "site" = $site AND "period" = $period`, {
    params: { site, period },
    epoch: 'ms',
  });
  return rows.map((r) => ({ ...r.values }));
}
