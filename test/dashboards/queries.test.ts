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
  // The longer periods the programme evaluation shows (the latest of each kind; quarter and year
  // are opt-in kinds of kpi.periods): stamped at their period's start, here within the day too.
  for (const period of ['week', 'month', 'quarter', 'year'] as const) {
    for (const [kpi, value, target] of [
      ['sorting_coverage', 0.93, 0.95],
      ['diversion_rate', 0.37, 0.35],
    ] as const)
      points.push({
        measurement: 'kpi',
        tags: { site: SITE, kpi, period },
        fields: { value, target, met: value >= target, numerator: Math.round(value * 100), denominator: 100 },
        time: kpiTime,
      });
    for (const [kpi, value] of [
      ['recyclables_kg', 80],
      ['co2e_avoided_kg', 96],
    ] as const)
      points.push({
        measurement: 'kpi',
        tags: { site: SITE, kpi, period },
        fields: { value, numerator: value },
        time: kpiTime,
      });
  }
  points.push(...surveyPoints(now));
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

/** Survey waves: [wave, hours ago, household, building, score] (docs/contract.md §4 `survey`). */
function surveyAnswers(
  now: number,
): Array<{ wave: string; time: number; household: string; building: string; score: number }> {
  // A wave's answers share one instant, its date's local midnight: here whole quarter-hours.
  const at = (hoursAgo: number): number => Math.floor((now - hoursAgo * HOUR) / (15 * 60_000)) * 15 * 60_000;
  const rows: Array<[string, number, string, string, number]> = [
    ['2026-Q3', 12, 'hh-1', 'b1', 4],
    ['2026-Q3', 12, 'hh-2', 'b1', 2],
    ['2026-Q3', 12, 'hh-3', 'b2', 3],
    ['2026-Q3', 12, 'hh-4', 'b2', 5],
    // hh-1 moved building between two uploads of the wave: two points, one answer (§4).
    ['2026-Q3', 12, 'hh-1', 'b2', 4],
    ['2026-Q4', 4, 'hh-1', 'b2', 5],
    ['2026-Q4', 4, 'hh-2', 'b1', 4],
    ['2026-Q4', 4, 'hh-3', 'b2', 1],
  ];
  return rows.map(([wave, h, household, building, score]) => ({ wave, time: at(h), household, building, score }));
}

function surveyPoints(now: number): Point[] {
  return surveyAnswers(now).map((a) => ({
    measurement: 'survey',
    tags: { site: SITE, wave: a.wave, building: a.building, household: a.household },
    fields: { score: a.score, uploaded_at: new Date(now).toISOString() },
    time: nsFromMs(a.time),
  }));
}

const panels = buildDashboards('dashboards').flatMap((b) =>
  dataPanels(dashboardModel.parse(b.json)).flatMap((p) =>
    p.targets.map((t) => [`${b.name} / ${p.title} / ${t.refId}`, t.query] as const),
  ),
);
const variables = buildDashboards('dashboards').flatMap((b) =>
  dashboardModel.parse(b.json).templating.list.map((v) => [`${b.name} $${v.name}`, v.query] as const),
);

let written: number;

beforeAll(async () => {
  conn = connectInflux(sharedSettings({ database: uniqueName('dashboards') }));
  await ensureDatabase(conn);
  const writer = new InfluxPointWriter(conn);
  written = Date.now();
  await writer.write(simulatedDay(written));
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

  it("the survey panels count each household once per wave, satisfied = score ≥ 4, at the wave's instant", async () => {
    const evaluation = buildDashboards('dashboards').find((b) => b.name === 'programme-evaluation')!;
    const byTitle = new Map(dataPanels(dashboardModel.parse(evaluation.json)).map((p) => [p.title, p]));
    const table = byTitle.get('Survey waves (responses, satisfied = score ≥ 4, mean score)')!;
    const share = byTitle.get('Satisfied share per wave (score ≥ 4)')!;
    // What the panels must show, from the answers written: one answer per household and wave.
    const want = new Map<string, { time: number; scores: Map<string, number> }>();
    for (const a of surveyAnswers(written)) {
      const w = want.get(a.wave) ?? { time: a.time, scores: new Map<string, number>() };
      w.scores.set(a.household, a.score);
      want.set(a.wave, w);
    }
    const expected = [...want].map(([wave, w]) => {
      const scores = [...w.scores.values()];
      const satisfied = scores.filter((s) => s >= 4).length;
      return {
        wave,
        time: w.time,
        responses: scores.length,
        satisfied,
        mean: scores.reduce((a, s) => a + s, 0) / scores.length,
        share: satisfied / scores.length,
      };
    });
    expect(expected.map((e) => e.responses)).toEqual([4, 3]);
    const opts = { range: '24h', interval: '1h', variables: { site: SITE } };
    const rows = await query(conn, expandQuery(table.targets[0]!.query, opts), { epoch: 'ms' });
    expect(
      rows.map((r) => ({
        wave: r.tags['wave'],
        time: r.values['time'],
        responses: r.values['responses'],
        satisfied: r.values['satisfied'],
        mean: r.values['mean score'],
      })),
    ).toEqual(expected.map(({ share: _s, ...e }) => ({ ...e, mean: expect.closeTo(e.mean, 12) })));
    const shares = await query(conn, expandQuery(share.targets[0]!.query, opts));
    expect(shares.map((r) => [r.tags['wave'], r.values['satisfied']])).toEqual(
      expected.map((e) => [e.wave, expect.closeTo(e.share, 12)]),
    );
  });

  it.each(panels)('%s is valid InfluxQL and returns rows', async (_name, q) => {
    const expanded = expandQuery(q, { range: '24h', interval: '1h', variables: { site: SITE } });
    expect(expanded).not.toMatch(/\$(?!tag_)[A-Za-z_]/);
    const rows = await query(conn, expanded);
    expect(rows.length).toBeGreaterThan(0);
  });
});
