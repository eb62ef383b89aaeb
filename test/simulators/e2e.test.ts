/**
 * The whole path, proven by the simulator's ground truth: a two-day, two-site community of all
 * four device models with every fault on, through the real broker (MQTT over TCP loopback) into
 * the real InfluxDB and the dead-letter store, compared with the ledger (docs/contract.md §2-5);
 * with two resident survey waves uploaded through the API, for the programme evaluation's panels.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/deadletters/store.ts';
import { buildDashboards, expandQuery } from '../../src/dashboards/index.ts';
import { computeKpis as hubKpis } from '../../src/kpi/index.ts';
import { query } from '../../src/store/index.ts';
import { dashboardModel, dataPanels } from '../dashboards/grafana-model.ts';
import {
  loadScenario,
  resolveWindow,
  simulate,
  type LedgerFile,
  type Scenario,
  type Window,
} from '../../simulators/index.ts';
import { KPI_NAMES } from '../../simulators/kpi.ts';
import { PREDICTED } from '../../simulators/ledger.ts';
import { expectStoredBenefit, expectSurveyPanels, storeSimulatedKpis, uploadSurveys } from './e2e-programme.ts';
import { startSimHub, type SimHub } from './helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/e2e.yaml', import.meta.url));
/** The field every point of a measurement has, to count points with InfluxQL. */
const FIELD: Record<(typeof PREDICTED)[number], string> = {
  bin_level: 'fill_pct',
  device_health: 'heartbeat',
  deposit: 'event_id',
  access: 'event_id',
  alarm: 'event_id',
};

let scenario: Scenario;
let window: Window;
let sim: SimHub;
let ledger: LedgerFile;
let hubNow: () => number;
/** Admin key of the API, to upload the scenario's survey waves. */
const ADMIN = 'sim-e2e-admin-key-0123456789abcdef';

beforeAll(async () => {
  scenario = loadScenario(SCENARIO);
  window = resolveWindow(scenario);
  // The hub's clock starts at the end of the simulated window and runs (ledger.hubClock).
  const t0 = Date.now();
  hubNow = () => window.endMs + (Date.now() - t0);
  // The hub's own series often enough that the hub-health panels have samples to show.
  sim = await startSimHub(scenario, { now: hubNow, selfStatsInterval: '250ms', extra: { adminKey: ADMIN } });
  ({ ledger } = await simulate({ scenario, window, url: sim.url }));
  await sim.drained();
  await uploadSurveys(sim, ledger, scenario, ADMIN);
}, 120_000);

let stored: Promise<void> | undefined;
/** The KPIs of the simulated periods stored once, for the tests that read the `kpi` measurement. */
function storeKpis(): Promise<void> {
  stored ??= storeSimulatedKpis(sim, scenario, ledger, hubNow);
  return stored;
}

afterAll(async () => {
  await sim?.stop();
});

const q = (text: string): string => text.replace(/\s+/g, ' ');

describe('a simulated community through the hub', () => {
  it('covers two days, every model and every fault, and every message is acknowledged', () => {
    expect(Date.parse(ledger.window.end!) - Date.parse(ledger.window.start)).toBe(2 * 86_400_000);
    expect(ledger.totals.unconfirmed).toBe(0);
    expect(ledger.totals.acked).toBe(ledger.totals.messages);
    for (const fault of [
      'malformed',
      'duplicate',
      'replay',
      'out_of_order',
      'clock_skew',
      'too_old',
      'unknown_device',
      'late_batch',
    ]) {
      expect(ledger.totals.byFault[fault], fault).toBeGreaterThan(0);
    }
    expect(ledger.totals.disconnects).toBeGreaterThan(0);
    const models = new Set(
      scenario.sites.flatMap((s) => s.gateways.flatMap((g) => g.devices.map((d) => `${d.type}/${d.model}`))),
    );
    expect(models.size).toBe(4);
  });

  it('stores exactly the expected number of points per measurement and site', async () => {
    for (const m of PREDICTED) {
      const rows = await query(sim.influx, `SELECT count("${FIELD[m]}") FROM ${m} GROUP BY site`);
      const bySite = Object.fromEntries(rows.map((r) => [r.tags.site, Number(r.values.count)]));
      for (const site of scenario.sites)
        expect(bySite[site.id] ?? 0, `${m} at ${site.id}`).toBe(ledger.expected.pointsBySite[site.id]![m]);
      expect(
        rows.reduce((a, r) => a + Number(r.values.count), 0),
        m,
      ).toBe(ledger.expected.points[m]);
    }
    // Gateway status is stamped with the hub's clock: not counted, but every gateway has some.
    const status = await query(sim.influx, 'SELECT count("online") FROM gateway_status GROUP BY gateway');
    expect(status.map((r) => r.tags.gateway).sort()).toEqual(
      scenario.sites.flatMap((s) => s.gateways.map((g) => g.id)).sort(),
    );
    // Offline: each gateway's own `offline` at the end, plus the Wills of connections lost without DISCONNECT.
    const gateways = scenario.sites.reduce((a, s) => a + s.gateways.length, 0);
    expect(await sim.count('SELECT count("online") FROM gateway_status WHERE "online" = false')).toBeGreaterThan(
      gateways,
    );
  });

  it('stores every valid event exactly once, under its id', async () => {
    for (const m of ['deposit', 'access', 'alarm'] as const) {
      const rows = await query<{ event_id: string }>(sim.influx, `SELECT "event_id" FROM ${m} GROUP BY site, device`);
      const stored: Record<string, string[]> = {};
      for (const r of rows) (stored[`${r.tags.site}/${r.tags.device}`] ??= []).push(r.values.event_id);
      const expected = ledger.expected.eventIds![m]!;
      expect(Object.keys(stored).sort(), m).toEqual(Object.keys(expected).sort());
      for (const [device, ids] of Object.entries(expected))
        expect([...stored[device]!].sort(), `${m} ${device}`).toEqual([...ids].sort());
    }
  });

  it('keeps every invalid message in the dead letters, verbatim, with the expected reasons', async () => {
    const key = (topic: string, payload: string, rejects: { reason: string; index?: number }[]): string =>
      `${topic}\u0000${payload}\u0000${rejects
        .map((r) => `${r.reason}@${r.index ?? '-'}`)
        .sort()
        .join(',')}`;
    const actual = (await sim.deadLetters()).map((d: DeadLetter) => key(d.topic, d.payload, d.rejects)).sort();
    const expected = ledger
      .messages!.filter((m) => m.rejects.length > 0)
      .map((m) => key(m.topic, m.payload!, m.rejects))
      .sort();
    expect(expected.length).toBe(ledger.expected.deadLetters.messages);
    expect(actual).toEqual(expected);
    for (const reason of [
      'bad_json',
      'empty_payload',
      'schema',
      'unknown_event_code',
      'clock_skew',
      'too_old',
      'unknown_device',
      'bad_status',
    ]) {
      expect(ledger.expected.deadLetters.byReason[reason], reason).toBeGreaterThan(0);
    }
    // Arrays: a bad element rejects itself only, by index (docs/contract.md §3).
    expect(ledger.messages!.some((m) => m.kind === 'batch' && m.rejects.some((r) => r.index !== undefined))).toBe(true);
  });

  it("the ledger's KPI counts per site and day agree with InfluxQL over the stored points", async () => {
    for (const site of scenario.sites) {
      for (const [day, p] of Object.entries(ledger.kpis[site.id]!.day)) {
        const where = `site = '${site.id}' AND time >= '${p.start}' AND time < '${p.end}'`;
        const k = p.kpis;
        const at = `${site.id} ${day}`;
        expect(
          await sim.count(`SELECT count(distinct("household")) FROM deposit WHERE ${where}`),
          `participation ${at}`,
        ).toBe(k.participation_rate.numerator);
        expect(
          await sim.count(`SELECT count(distinct("household")) FROM deposit WHERE ${where} AND sorting = 'correct'`),
          `coverage ${at}`,
        ).toBe(k.sorting_coverage.numerator);
        expect(
          await sim.count(`SELECT count("event_id") FROM deposit WHERE ${where} AND sorting = 'correct'`),
          `accuracy ${at}`,
        ).toBe(k.sorting_accuracy.numerator);
        expect(
          await sim.count(`SELECT count("event_id") FROM deposit WHERE ${where} AND sorting != 'unchecked'`),
          `accuracy ${at}`,
        ).toBe(k.sorting_accuracy.denominator);
        expect(
          await sim.count(`SELECT count("event_id") FROM access WHERE ${where} AND result = 'denied'`),
          `denied ${at}`,
        ).toBe(k.gate_denied_rate.numerator);
        expect(await sim.count(`SELECT count("event_id") FROM access WHERE ${where}`), `attempts ${at}`).toBe(
          k.gate_denied_rate.denominator,
        );
        expect(
          await sim.count(`SELECT count("event_id") FROM alarm WHERE ${where} AND alarm = 'overflow'`),
          `overflow ${at}`,
        ).toBe(k.bin_overflow_alarms.value);
        expect(
          await sim.count(
            q(`SELECT count("event_id") FROM alarm WHERE ${where} AND device_type = 'access-gate'
          AND (alarm = 'forced_open' OR alarm = 'tailgating' OR alarm = 'climbing')`),
          ),
          `security ${at}`,
        ).toBe(k.gate_security_alarms.value);
        // device_availability: Σ over the day's hours of the devices heard (devices/README.md, heartbeat).
        const heard = await query(
          sim.influx,
          `SELECT count("heartbeat") FROM device_health WHERE ${where} GROUP BY time(1h), device`,
        );
        expect(heard.filter((r) => Number(r.values.count) > 0).length, `availability ${at}`).toBe(
          k.device_availability.numerator,
        );
      }
    }
  });

  it("the hub's own KPI computation agrees with the ledger's, period by period", async () => {
    const deps = {
      conn: sim.influx,
      inventory: sim.loaded.inventory,
      config: sim.loaded.config.kpi,
      evaluation: sim.loaded.config.evaluation,
      now: hubNow,
    };
    const hour = 3_600_000;
    for (const site of scenario.sites) {
      const devices = site.gateways.reduce((a, g) => a + g.devices.length, 0);
      for (const kind of ['day', 'week', 'month'] as const) {
        for (const [date, p] of Object.entries(ledger.kpis[site.id]![kind])) {
          const results = await hubKpis(deps, site.id, kind, date);
          expect(results.map((r) => r.kpi).sort()).toEqual([...KPI_NAMES].sort());
          for (const r of results) {
            const mine = p.kpis[r.kpi];
            const at = `${site.id} ${kind} ${date} ${r.kpi}`;
            expect(r.numerator, at).toBe(mine.numerator);
            if (r.kpi !== 'device_availability') {
              expect(r.denominator, at).toBe(mine.denominator);
              expect(r.value === null, at).toBe(mine.value === null);
              if (mine.value !== null) expect(r.value, at).toBeCloseTo(mine.value, 12);
              continue;
            }
            // A running period counts its ended hours only (the hub's clock is just past the window).
            const end = Date.parse(p.end);
            const start = Date.parse(p.start);
            const hours = end <= window.endMs ? (end - start) / hour : Math.floor((hubNow() - start) / hour);
            expect(r.denominator, at).toBe(hours * devices);
          }
        }
      }
    }
  });

  it("the stored recyclables, diversion rate and CO₂e avoided of every period are the ledger's", async () => {
    await storeKpis();
    await expectStoredBenefit(sim, scenario, ledger);
  });

  it("the programme evaluation's survey panels show each wave as the ledger summarises it", async () => {
    await expectSurveyPanels(sim, ledger, { from: window.startMs, to: hubNow() });
  });

  it('every dashboard panel shows the simulated community, queried as Grafana would', async () => {
    // The KPIs as the scheduler or `kpi compute` stores them, for the overview and the evaluation.
    await storeKpis();
    // Rates (non_negative_derivative) need samples of the hub's own series in a few 1 s buckets.
    await expect
      .poll(() => sim.count('SELECT count("messages") FROM hub_stats'), {
        timeout: 30_000,
        interval: 100,
        message: 'hub_stats samples',
      })
      .toBeGreaterThanOrEqual(16);
    // Three views, with Grafana's absolute $timeFilter: the simulated days at 1 h, the last minute
    // at 1 s (where the hub's own 250 ms samples are), and the last year at 1 d, as the programme
    // evaluation opens (its month, quarter and year results are stamped at their periods' start,
    // before the window). Each variable takes each value its own query lists (Grafana's drop-down),
    // so every site is looked at.
    const now = hubNow();
    const views = [
      { between: { from: window.startMs, to: now }, interval: '1h' },
      { between: { from: now - 60_000, to: now }, interval: '1s' },
      { between: { from: now - 366 * 86_400_000, to: now }, interval: '1d' },
    ];
    // A site may lack what a panel shows (oak-park's gate reports no battery; alarms are random),
    // so a panel must show rows for at least one site, in at least one view.
    const shown = new Map<string, boolean>();
    let queries = 0;
    for (const b of buildDashboards('dashboards')) {
      const model = dashboardModel.parse(b.json);
      const choices: Array<Record<string, string>> = [{}];
      for (const v of model.templating.list) {
        const rows = await query(sim.influx, v.query);
        const values = rows.map((r) => String(r.values['value']));
        expect(values.length, `${b.name} $${v.name} lists values`).toBeGreaterThan(0);
        choices.splice(
          0,
          choices.length,
          ...choices.flatMap((c) => values.map((value) => ({ ...c, [v.name]: value }))),
        );
      }
      if (model.templating.list.some((v) => v.name === 'site'))
        expect(new Set(choices.map((c) => c['site']))).toEqual(new Set(scenario.sites.map((s) => s.id)));
      for (const variables of choices) {
        for (const p of dataPanels(model)) {
          for (const t of p.targets) {
            queries++;
            for (const view of views) {
              const rows = await query(sim.influx, expandQuery(t.query, { ...view, variables }));
              // By id too: a stat and a trend may share a title, and one must not stand in for the other.
              const key = `${b.name} / ${p.title} (panel ${p.id}) / ${t.refId}`;
              shown.set(key, (shown.get(key) ?? false) || rows.length > 0);
            }
          }
        }
      }
    }
    expect(queries).toBeGreaterThan(50);
    expect([...shown].filter(([, any]) => !any).map(([key]) => key)).toEqual([]);
  });
});
