/**
 * The throughput workload (docs/benchmarks.md): G gateways × B waste bins of model
 * `waste-bin/generic-v1`, each message a telemetry reading with two compartments, encoded by the
 * simulator's own model (devices/waste-bin/generic-v1/sim.ts), so 3 points per message
 * (`device_health` + two `bin_level`, docs/contract.md §4). The n-th reading of a bin is stamped
 * `t0 + n` seconds (devices send whole seconds), so no two messages share a point and the points
 * counted in InfluxDB afterwards are exactly 3 × the messages acknowledged.
 */
import type { Element } from '../../simulators/elements.ts';
import { encode } from '../../simulators/encode.ts';

/** Shape of one load: who publishes, and how many messages each gateway keeps unacknowledged. */
export interface Workload {
  gateways: number;
  binsPerGateway: number;
  /** Unacknowledged QoS 1 publishes per gateway. */
  window: number;
}

export const SITE = 'bench';
export const ROOT = 'community/v1';
export const TIMEZONE = 'Asia/Shanghai';
/** Points each message becomes (one device_health, one bin_level per compartment). */
export const POINTS_PER_MESSAGE = 3;

export const gatewayId = (g: number): string => `gw-${String(g).padStart(5, '0')}`;
/** Device ids are unique per site (the inventory refuses a duplicate), so they carry the gateway's number. */
export const binId = (g: number, b: number): string => `bin-${g}-${b}`;
export const topicOf = (g: number, b: number): string => `${ROOT}/${SITE}/${gatewayId(g)}/${binId(g, b)}/telemetry`;

/** A whole second about ten days ago: inside `ingest.maxAge` (30d) with room for a million readings per bin. */
export function baseTime(now = Date.now()): number {
  return Math.floor(now / 1000) * 1000 - 10 * 86_400_000;
}

/** The payload of reading `n` of a bin, as the simulator's generic-v1 model writes it. */
export function payloadOf(t0: number, n: number): string {
  const element: Element = {
    kind: 'bin_reading',
    ms: t0 + n * 1000,
    battery: 80 + (n % 20),
    temperature: 15 + (n % 10),
    bins: [
      { category: 'kitchen', fill: n % 100, weightKg: (n % 50) / 2 },
      { category: 'recyclable', fill: (n * 7) % 100, weightKg: (n % 30) / 4 },
    ],
  };
  const { value } = encode({ type: 'waste-bin', model: 'generic-v1', timezone: TIMEZONE }, element);
  return JSON.stringify(value);
}

/** The inventory.yaml object for `w`; every gateway has `secret` (a stored hash). */
export function inventoryOf(w: Pick<Workload, 'gateways' | 'binsPerGateway'>, secret: string): unknown {
  return {
    sites: [
      {
        id: SITE,
        timezone: TIMEZONE,
        households: 100,
        gateways: Array.from({ length: w.gateways }, (_, g) => ({
          id: gatewayId(g),
          secret,
          devices: Array.from({ length: w.binsPerGateway }, (_, b) => ({
            id: binId(g, b),
            type: 'waste-bin',
            model: 'generic-v1',
          })),
        })),
      },
    ],
  };
}
