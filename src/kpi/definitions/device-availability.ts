/**
 * `device_availability` (docs/contract.md §5): the mean, over the period's hours, of the share of
 * registered devices heard in that hour. "Heard" is any `device_health` point with
 * `heartbeat = true`, which every accepted reading and event writes (docs/contract.md §4).
 *
 * With N registered devices (the inventory at compute time, constant over the period) and H hours,
 * mean_h(heard_h / N) = Σ_h heard_h / (N·H): the value is device-hours heard ÷ device-hours, and
 * those two integers are stored as numerator and denominator.
 *
 * Hours are the 60-minute intervals from the period's start, so a DST day has 23 or 25 of them and
 * a zone with a half-hour offset gets hours on the half hour (`GROUP BY time(1h, <offset>)`).
 * A period still running counts only the hours that have **ended**: the hour in progress would
 * count devices that simply have not reported yet this hour as unavailable, and pull the value down
 * for no reason. Before the first hour has ended the value is null (`no_complete_hours`).
 *
 * InfluxDB counts the hours itself: an inner query finds each device's hours with a heartbeat
 * (`GROUP BY time(1h, <offset>), "device" fill(none)`), an outer one counts them per device. The
 * answer is one row per device heard (50 devices, 50 rows), not one per device-hour (37,200 for a
 * month), so it stays far below a server's `max-row-limit`, and a cut answer fails the query
 * instead (src/store/query.ts, `HUB_ERR_INFLUX_PARTIAL`).
 */
import { hoursOf, type Period } from '../period.ts';
import { durationLiteral, timeRange } from '../influxql.ts';
import type { KpiDefinition, KpiScope, QualityWarning } from './types.ts';

const HOUR_MS = 3_600_000;

/** The hours counted at `now`: all of them once the period has ended, else those that have ended. */
export function countedHours(p: Period, now: number): { hours: number; endMs: number } {
  if (now >= p.endMs) return { hours: hoursOf(p), endMs: p.endMs };
  const hours = Math.max(0, Math.floor((now - p.startMs) / HOUR_MS));
  return { hours, endMs: p.startMs + hours * HOUR_MS };
}

function statement(scope: KpiScope): string[] {
  const { hours, endMs } = countedHours(scope.period, scope.now);
  if (hours === 0 || scope.devices.length === 0) return [];
  const offset = ((scope.period.startMs % HOUR_MS) + HOUR_MS) % HOUR_MS;
  const bucket = offset === 0 ? 'time(1h)' : `time(1h, ${durationLiteral(offset)})`;
  const hoursHeard =
    `SELECT COUNT("heartbeat") AS "n" FROM "device_health" WHERE ${scope.siteIs} AND ` +
    `${timeRange(scope.period.startMs, endMs)} GROUP BY ${bucket}, "device" fill(none)`;
  return [`SELECT COUNT("n") AS "hours" FROM (${hoursHeard}) GROUP BY "device"`];
}

/** Mean share of registered devices heard per hour. Target ≥ 0.98. */
export const deviceAvailability: KpiDefinition = {
  id: 'device_availability',
  version: 1,
  title: 'Device availability',
  unit: 'ratio',
  formula: 'mean over the period’s hours of (registered devices heard in the hour ÷ registered devices)',
  numerator: 'device-hours heard: (registered device, hour) pairs with ≥ 1 device_health heartbeat',
  denominator: 'registered devices × hours counted',
  direction: '>=',
  target: (config) => config.targets.device_availability,
  statements: statement,
  measure: ([rows], scope) => {
    const { hours } = countedHours(scope.period, scope.now);
    const registered = new Set(scope.devices.map((d) => d.id));
    const denominator = registered.size * hours;
    if (registered.size === 0) return { numerator: 0, denominator, reason: 'no_registered_devices' };
    if (hours === 0) return { numerator: 0, denominator, reason: 'no_complete_hours' };
    let numerator = 0;
    const warnings: QualityWarning[] = [];
    for (const r of rows ?? []) {
      const n = r.values['hours'];
      if (typeof n !== 'number' || n <= 0) continue;
      if (registered.has(r.tags['device'] ?? '')) numerator += n;
      else if (!warnings.includes('unregistered_devices_heard')) warnings.push('unregistered_devices_heard');
    }
    return { numerator, denominator, warnings };
  },
};
