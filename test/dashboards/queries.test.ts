/**
 * Every panel's InfluxQL, expanded as Grafana does, runs against the real InfluxDB holding a small
 * simulated day: no query is refused, and every panel returns rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nsFromMs, type Point } from '../../src/point.ts';
import { buildDashboards, expandQuery } from '../../src/dashboards/index.ts';
import {
  connectInflux,
  ensureDatabase,
  InfluxPointWriter,
  query,
  type InfluxConnection,
} from '../../src/store/index.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { dashboardModel, dataPanels } from './grafana-model.ts';

const SITE = 'maple-court';
const HOUR = 3_600_000;
let conn: InfluxConnection;

/** A small day at one site: points every hour over the last 20 h for every measurement. */
function simulatedDay(now: number): Point[] {
  const points: Point[] = [];
  const common = { site: SITE, gateway: 'gw-1', building: 'b1' };
  let n = 0;
  for (let h = 20; h >= 1; h--) {
    const time = nsFromMs(now - h * HOUR);
    const id = () => `e-${++n}`;
    const cat = (['kitchen', 'recyclable', 'hazardous', 'residual'] as const)[h % 4]!;
    points.push(
      {
        measurement: 'bin_level',
        tags: { ...common, device: 'bin-1', category: cat },
        fields: { fill_pct: 40 + h, weight_kg: 10 },
        time,
      },
      {
        measurement: 'device_health',
        tags: { ...common, device: 'bin-1', device_type: 'waste-bin' },
        fields: { battery_pct: 80 - h, temperature_c: 20, door_open: false, tamper: false },
        time,
      },
      {
        measurement: 'device_health',
        tags: { ...common, device: 'gate-1', device_type: 'access-gate' },
        fields: { battery_pct: 90 - h, temperature_c: 18, door_open: false, tamper: false },
        time,
      },
      {
        measurement: 'deposit',
        tags: {
          ...common,
          device: 'bin-1',
          category: cat,
          sorting: h % 5 === 0 ? 'incorrect' : 'correct',
          auth: 'card',
        },
        fields: { household: 'hh-1', weight_kg: 1.2, event_id: id() },
        time,
      },
      {
        measurement: 'access',
        tags: {
          ...common,
          device: 'gate-1',
          result: 'granted',
          method: h % 2 ? 'card' : 'face',
          direction: h % 2 ? 'in' : 'out',
          subject: 'resident',
        },
        fields: { household: 'hh-1', event_id: id() },
        time,
      },
      {
        measurement: 'access',
        tags: { ...common, device: 'gate-1', result: 'denied', method: 'card', direction: 'in', subject: 'unknown' },
        fields: { reason: 'invalid_credential', event_id: id() },
        time,
      },
      { measurement: 'gateway_status', tags: { site: SITE, gateway: 'gw-1' }, fields: { online: h !== 10 }, time },
    );
    if (h % 6 === 0) {
      points.push(
        {
          measurement: 'alarm',
          tags: {
            ...common,
            device: 'bin-1',
            device_type: 'waste-bin',
            alarm: h === 12 ? 'fire' : 'overflow',
            severity: 'critical',
          },
          fields: { event_id: id(), category: cat },
          time,
        },
        {
          measurement: 'alarm',
          tags: { ...common, device: 'gate-1', device_type: 'access-gate', alarm: 'tailgating', severity: 'warning' },
          fields: { event_id: id() },
          time,
        },
      );
    }
  }
  // Today's daily KPI results (stamped at the period's start, here a few hours ago).
  const kpiTime = nsFromMs(now - 3 * HOUR);
  for (const [kpi, value, target] of [
    ['sorting_coverage', 0.96, 0.95],
    ['participation_rate', 0.5, 0.6],
    ['sorting_accuracy', 0.8, 0.9],
    ['device_availability', 1, 0.98],
    ['diversion_rate', 0.4, 0.35],
  ] as const) {
    points.push({
      measurement: 'kpi',
      tags: { site: SITE, kpi, period: 'day' },
      fields: { value, target, met: value >= target, numerator: Math.round(value * 100), denominator: 100 },
      time: kpiTime,
    });
  }
  // The informative amounts in kg: no target, no denominator (src/kpi/result.ts toPoint).
  for (const [kpi, value] of [
    ['recyclables_kg', 12.5],
    ['co2e_avoided_kg', 15],
  ] as const)
    points.push({
      measurement: 'kpi',
      tags: { site: SITE, kpi, period: 'day' },
      fields: { value, numerator: value },
      time: kpiTime,
    });
  // Per roster building (docs/contract.md §5: coverage and participation are stored per building,
  // tagged `building`): b2 is the worst on both.
  for (const [building, coverage, participation] of [
    ['b1', 0.97, 0.7],
    ['b2', 0.81, 0.4],
  ] as const) {
    for (const [kpi, value, target] of [
      ['sorting_coverage', coverage, 0.95],
      ['participation_rate', participation, 0.6],
    ] as const) {
      points.push({
        measurement: 'kpi',
        tags: { site: SITE, kpi, period: 'day', building },
        fields: { value, target, met: value >= target, numerator: Math.round(value * 400), denominator: 400 },
        time: kpiTime,
      });
    }
  }
  // The hub's own series, in the shape src/store/self-stats.ts writes (selfStatsPoints; its exact
  // points are pinned in test/store/self-stats.test.ts): cumulative counters, gauges, and the
  // write latency of the interval; per hub instance, not per site.
  for (let h = 20; h >= 1; h--) {
    const time = nsFromMs(now - h * HOUR);
    const k = 21 - h;
    const tags = { instance: 'hub-1' };
    points.push({
      measurement: 'hub_stats',
      tags,
      fields: {
        messages: 100 * k,
        points_spooled: 250 * k,
        dead_lettered: 2 * k,
        failed: 0,
        mqtt_connections: 4,
        gateways_connected: h === 10 ? 1 : 2,
        mqtt_refusals: k,
        points_written: 250 * k - (h === 10 ? 40 : 0),
        drain_retries: h < 10 ? 3 : 0,
        spool_refused: 0,
        spool_bytes: 4096 + 512 * (h % 3),
        spool_lag_bytes: h === 10 ? 8192 : 0,
        spool_segments: 1,
        spool_oldest_age_s: h === 10 ? 90 : 0,
        batches_in_flight: h % 2,
        write_requests: 12 * k,
        write_latency_mean_s: 0.01 + h / 1000,
        write_latency_p95_s: 0.05 + h / 500,
      },
      time,
    });
    for (const [stage, reason, count] of [
      ['mqtt', 'bad_secret', k],
      ['mqtt', 'anonymous', 0],
      ['dead_letter', 'bad_json', 2 * k],
      ['dead_letter', 'schema', k % 4],
    ] as const) {
      points.push({ measurement: 'hub_rejects', tags: { ...tags, stage, reason }, fields: { count }, time });
    }
  }
  return points;
}

const panels = buildDashboards('dashboards').flatMap((b) =>
  dataPanels(dashboardModel.parse(b.json)).flatMap((p) =>
    p.targets.map((t) => [`${b.name} / ${p.title} / ${t.refId}`, t.query] as const),
  ),
);
const variables = buildDashboards('dashboards').flatMap((b) =>
  dashboardModel.parse(b.json).templating.list.map((v) => [`${b.name} $${v.name}`, v.query] as const),
);

beforeAll(async () => {
  conn = connectInflux(sharedSettings({ database: uniqueName('dashboards') }));
  await ensureDatabase(conn);
  const writer = new InfluxPointWriter(conn);
  await writer.write(simulatedDay(Date.now()));
  await writer.close();
});

describe('dashboard queries against InfluxDB', () => {
  it.each(variables)('template variable %s lists the site', async (_name, q) => {
    const rows = await query(conn, q);
    expect(rows.map((r) => r.values['value'])).toContain(SITE);
  });

  it('the by-building tables list every building, and sort on a column their query returns, worst first', async () => {
    const overview = buildDashboards('dashboards').find((b) => b.name === 'community-overview')!;
    const tables = dataPanels(dashboardModel.parse(overview.json)).filter((p) =>
      / by building \(worst first\)$/.test(p.title),
    );
    expect(tables.map((p) => p.title)).toEqual([
      'Sorting coverage by building (worst first)',
      'Participation by building (worst first)',
    ]);
    const raw = overview.json as { panels: Array<{ title: string; options?: { sortBy?: unknown } }> };
    for (const t of tables) {
      const sortBy = raw.panels.find((p) => p.title === t.title)!.options!.sortBy as Array<{
        displayName: string;
        desc: boolean;
      }>;
      expect(sortBy).toHaveLength(1);
      expect(sortBy[0]!.desc).toBe(false);
      const expanded = expandQuery(t.targets[0]!.query, { range: '24h', interval: '1h', variables: { site: SITE } });
      const rows = await query(conn, expanded);
      // Grafana sorts these rows by the column ascending: the building furthest below target first.
      const sorted = rows
        .map((r) => [r.tags['building'], r.values[sortBy[0]!.displayName]] as const)
        .sort((a, b) => Number(a[1]) - Number(b[1]));
      expect(sorted.map(([b]) => b)).toEqual(['b2', 'b1']);
      expect(rows.every((r) => typeof r.values['target'] === 'number')).toBe(true);
    }
  });

  it.each(panels)('%s is valid InfluxQL and returns rows', async (_name, q) => {
    const expanded = expandQuery(q, { range: '24h', interval: '1h', variables: { site: SITE } });
    expect(expanded).not.toMatch(/\$(?!tag_)[A-Za-z_]/);
    const rows = await query(conn, expanded);
    expect(rows.length).toBeGreaterThan(0);
  });
});
