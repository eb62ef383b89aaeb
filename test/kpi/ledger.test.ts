/**
 * The KPIs against ground truth: every KPI of a simulated week and month, computed by the hub (src/kpi,
 * InfluxQL over what it stored), matches the simulator's ledger: counts exactly, ratios to 1e-9,
 * nulls with the same reason. The community (simulators/scenarios/kpi-month.yaml) is one whole
 * calendar month, February 2027 (four whole weeks from Monday, Asia/Shanghai), sent over MQTT to an
 * in-process hub and stored in the real InfluxDB; two of its sites have zero deposits (one with a
 * station, one without), and the local
 * days start at 16:00 UTC the day before, so deposits between local 00:00 and 08:00 must be
 * counted in their local day.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis as hubKpis, type KpiResult } from '../../src/kpi/index.ts';
import { query } from '../../src/store/index.ts';
import {
  loadScenario,
  resolveWindow,
  simulate,
  type LedgerFile,
  type Scenario,
  type Window,
} from '../../simulators/index.ts';
import type { PeriodKpis } from '../../simulators/kpi.ts';
import { compareWithLedger } from '../helpers/ledger-compare.ts';
import { startSimHub, type SimHub } from '../simulators/helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/kpi-month.yaml', import.meta.url));
const ZONE = 'Asia/Shanghai';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let scenario: Scenario;
let window: Window;
let sim: SimHub;
let ledger: LedgerFile;
let hubNow: () => number;
/** The hub's results, by `site kind date`. */
const hub = new Map<string, KpiResult[]>();
let t0 = 0;

beforeAll(async () => {
  t0 = performance.now();
  scenario = loadScenario(SCENARIO);
  window = resolveWindow(scenario);
  // The hub's clock starts at the end of the window and runs: inside ledger.hubClock, so a message
  // of the month's first day is still younger than ingest.maxAge (30 d) and nothing is too_old.
  const start = Date.now();
  hubNow = () => window.endMs + (Date.now() - start);
  sim = await startSimHub(scenario, { now: hubNow, kpi: false });
  ({ ledger } = await simulate({ scenario, window, url: sim.url }));
  await sim.drained();
  const deps = {
    conn: sim.influx,
    inventory: sim.loaded.inventory,
    config: sim.loaded.config.kpi,
    evaluation: sim.loaded.config.evaluation,
    now: hubNow,
  };
  for (const site of scenario.sites) {
    for (const kind of ['day', 'week', 'month'] as const) {
      for (const date of Object.keys(ledger.kpis[site.id]![kind]))
        hub.set(`${site.id} ${kind} ${date}`, await hubKpis(deps, site.id, kind, date));
    }
  }
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  console.info(
    `kpi ledger test: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${ledger?.totals.messages ?? 0} messages`,
  );
});

/** The closed periods of a site and kind, wholly inside the window (the ones compared). */
function closed(site: string, kind: 'day' | 'week' | 'month'): Array<[string, PeriodKpis]> {
  return Object.entries(ledger.kpis[site]![kind]).filter(([, p]) => !p.partial);
}

/** Compare the hub's results of one period with the ledger's, KPI by KPI. */
function compare(at: string, results: KpiResult[], p: PeriodKpis): void {
  for (const r of results) {
    const where = `${at} ${r.kpi}`;
    // Local time with Asia/Shanghai's offset, as the retained message and the API show it.
    expect(r.start, where).toBe(new Date(Date.parse(p.start) + 8 * HOUR).toISOString().slice(0, 19) + '+08:00');
  }
  compareWithLedger(at, results, p);
}

describe('KPIs of a simulated month: the hub against the ledger', () => {
  it('a whole month and four whole weeks of three Asia/Shanghai sites, every message acknowledged', () => {
    expect(ledger.window).toEqual({
      start: '2027-01-31T16:00:00.000Z',
      end: '2027-02-28T16:00:00.000Z',
      timezone: ZONE,
    });
    expect(window.startMs).toBeGreaterThanOrEqual(Date.parse(ledger.hubClock.from) - 28 * DAY);
    expect(hubNow()).toBeGreaterThanOrEqual(Date.parse(ledger.hubClock.from));
    expect(hubNow()).toBeLessThanOrEqual(Date.parse(ledger.hubClock.to));
    expect(ledger.totals.unconfirmed).toBe(0);
    expect(ledger.totals.acked).toBe(ledger.totals.messages);
    for (const site of scenario.sites) {
      expect(site.timezone).toBe(ZONE);
      expect(
        closed(site.id, 'month').map(([d]) => d),
        site.id,
      ).toEqual(['2027-02-01']);
      expect(
        closed(site.id, 'week').map(([d]) => d),
        site.id,
      ).toEqual(['2027-02-01', '2027-02-08', '2027-02-15', '2027-02-22']);
      expect(closed(site.id, 'day').length, site.id).toBe(28);
    }
  });

  it('stored what the ledger expects (deposits, access attempts, alarms, heartbeats per site)', async () => {
    const FIELD = { deposit: 'event_id', access: 'event_id', alarm: 'event_id', device_health: 'heartbeat' } as const;
    for (const [m, field] of Object.entries(FIELD) as Array<[keyof typeof FIELD, string]>) {
      const rows = await query(sim.influx, `SELECT count("${field}") FROM ${m} GROUP BY site`);
      const bySite = Object.fromEntries(rows.map((r) => [r.tags.site, Number(r.values.count)]));
      for (const site of scenario.sites)
        expect(bySite[site.id] ?? 0, `${m} at ${site.id}`).toBe(ledger.expected.pointsBySite[site.id]![m]);
    }
  });

  for (const kind of ['month', 'week', 'day'] as const) {
    it(`every KPI of every closed ${kind} of each site matches the ledger`, () => {
      let compared = 0;
      for (const site of scenario.sites) {
        for (const [date, p] of closed(site.id, kind)) {
          compare(`${site.id} ${kind} ${date}`, hub.get(`${site.id} ${kind} ${date}`)!, p);
          compared++;
        }
      }
      expect(compared).toBe(scenario.sites.length * { month: 1, week: 4, day: 28 }[kind]);
    });
  }

  it('the site whose households never deposit: coverage and participation are a measured 0 with a warning, accuracy null', () => {
    const site = 'birch-row';
    expect(ledger.expected.pointsBySite[site]!.deposit).toBe(0);
    // Not an empty site: its station and gate report, so the other KPIs have values.
    expect(ledger.expected.pointsBySite[site]!.access).toBeGreaterThan(0);
    for (const kind of ['week', 'month'] as const) {
      for (const [date, p] of closed(site, kind)) {
        const by = Object.fromEntries(hub.get(`${site} ${kind} ${date}`)!.map((r) => [r.kpi, r]));
        const at = `${site} ${kind} ${date}`;
        for (const kpi of ['sorting_coverage', 'participation_rate'] as const) {
          expect(p.kpis[kpi], at).toEqual({ value: 0, numerator: 0, denominator: 8 });
          expect(by[kpi], at).toMatchObject({
            value: 0,
            numerator: 0,
            denominator: 8,
            status: 'warning',
            reason: null,
            warnings: ['no_deposits', 'household_ids_unverified'],
            met: false,
          });
        }
        expect(p.kpis.sorting_accuracy, at).toMatchObject({ value: null, numerator: 0, denominator: 0 });
        expect(by.sorting_accuracy, at).toMatchObject({
          value: null,
          numerator: 0,
          denominator: 0,
          status: 'null',
          reason: 'no_judged_deposits',
          met: null,
        });
        expect(by.device_availability!.value, at).toBeGreaterThan(0.9);
        expect(by.gate_denied_rate!.denominator, at).toBeGreaterThan(0);
        expect(by.bin_overflow_alarms!.value, at).toBe(0);
      }
    }
  });

  it('the site without a waste-sorting station: no deposits either, and the deposit KPIs do not apply (null, no_waste_bins)', () => {
    const site = 'elm-yard';
    expect(ledger.expected.pointsBySite[site]!.deposit).toBe(0);
    for (const kind of ['week', 'month'] as const) {
      for (const [date, p] of closed(site, kind)) {
        const by = Object.fromEntries(hub.get(`${site} ${kind} ${date}`)!.map((r) => [r.kpi, r]));
        const at = `${site} ${kind} ${date}`;
        for (const kpi of [
          'sorting_coverage',
          'participation_rate',
          'sorting_accuracy',
          'bin_overflow_alarms',
        ] as const) {
          expect(p.kpis[kpi].value, `${at} ${kpi}`).toBeNull();
          expect(by[kpi], `${at} ${kpi}`).toMatchObject({
            value: null,
            numerator: 0,
            status: 'null',
            reason: 'no_waste_bins',
            met: null,
          });
        }
        expect(by.sorting_coverage!.denominator, at).toBe(5);
        expect(by.gate_denied_rate!.value, at).not.toBeNull();
      }
    }
  });

  it('a deposit between 00:00 and 08:00 in Asia/Shanghai (the previous UTC day) counts in its local day', async () => {
    const site = 'maple-court';
    // Deposits as stored, with their ids: every one of them is in the ledger.
    const rows = await query<{ time: number; event_id: string; sorting: string }>(
      sim.influx,
      `SELECT "event_id", "sorting" FROM deposit WHERE site = '${site}'`,
      { epoch: 'ms' },
    );
    const ids = new Set(
      Object.entries(ledger.expected.eventIds!.deposit!)
        .filter(([k]) => k.startsWith(`${site}/`))
        .flatMap(([, v]) => v),
    );
    const deposits = rows.map((r) => ({ ms: Number(r.values.time), id: r.values.event_id, sorting: r.values.sorting }));
    expect(deposits.length).toBe(ids.size);
    for (const d of deposits) expect(ids.has(d.id), d.id).toBe(true);

    const judged = (from: number, to: number): number =>
      deposits.filter((d) => d.ms >= from && d.ms < to && d.sorting !== 'unchecked').length;
    const early = deposits.filter((d) => (d.ms + 8 * HOUR) % DAY < 8 * HOUR && d.sorting !== 'unchecked');
    expect(early.length, 'judged deposits between local 00:00 and 08:00').toBeGreaterThan(0);
    // The local days on which counting by UTC day would give another number: the test has teeth.
    let told = 0;
    for (const d of early) {
      const date = new Date(d.ms + 8 * HOUR).toISOString().slice(0, 10); // its local (UTC+8) date
      const p = ledger.kpis[site]!.day[date];
      if (!p || p.partial) continue;
      const localStart = Date.parse(`${date}T00:00:00+08:00`);
      expect(Date.parse(p.start), date).toBe(localStart);
      expect(d.ms, `${d.id} is on the previous UTC day`).toBeLessThan(Date.parse(`${date}T00:00:00Z`));
      const r = hub.get(`${site} day ${date}`)!.find((x) => x.kpi === 'sorting_accuracy')!;
      expect(r.start, date).toBe(`${date}T00:00:00+08:00`);
      expect(r.denominator, date).toBe(judged(localStart, localStart + DAY));
      expect(r.denominator, date).toBe(p.kpis.sorting_accuracy.denominator);
      if (
        judged(localStart, localStart + DAY) !==
        judged(Date.parse(`${date}T00:00:00Z`), Date.parse(`${date}T00:00:00Z`) + DAY)
      )
        told++;
    }
    expect(told, 'local days whose count differs from the UTC day of the same date').toBeGreaterThan(0);
  });

  it('the environmental-benefit KPIs have teeth: real weights, incorrect deposits left out, the hub configured', () => {
    // The scenario's factors reached the hub's config (the ledger used the same ones).
    expect(sim.loaded.config.evaluation.co2eFactors).toEqual(scenario.hub.co2eFactors);
    const [, p] = closed('maple-court', 'month')[0]!;
    const by = Object.fromEntries(hub.get('maple-court month 2027-02-01')!.map((r) => [r.kpi, r]));
    expect(by.diversion_rate!.denominator).toBeGreaterThan(by.diversion_rate!.numerator);
    expect(by.diversion_rate!.numerator).toBeGreaterThan(0);
    expect(by.diversion_rate!.target).toBe(0.35);
    expect(by.diversion_rate!.met).toBe(by.diversion_rate!.value! >= 0.35);
    expect(by.recyclables_kg!.value).toBeGreaterThan(0);
    expect(by.co2e_avoided_kg!.value).toBeGreaterThan(by.recyclables_kg!.value!); // 1.2 kg CO₂e a kg, kitchen more
    expect(by.co2e_avoided_kg!.value).toBe(p.kpis.co2e_avoided_kg.value);
    // The two sites without deposits: no weight at all, or no station.
    const birch = Object.fromEntries(hub.get('birch-row month 2027-02-01')!.map((r) => [r.kpi, r]));
    expect(birch.diversion_rate).toMatchObject({ value: null, reason: 'no_weighed_deposits', met: null });
    expect(birch.recyclables_kg).toMatchObject({ value: 0, status: 'ok' });
    expect(birch.co2e_avoided_kg).toMatchObject({ value: 0, status: 'ok' });
    const elm = Object.fromEntries(hub.get('elm-yard month 2027-02-01')!.map((r) => [r.kpi, r]));
    for (const kpi of ['diversion_rate', 'recyclables_kg', 'co2e_avoided_kg'])
      expect(elm[kpi], kpi).toMatchObject({ value: null, reason: 'no_waste_bins' });
  });

  it('without CO₂e factors co2e_avoided_kg is null not_configured, the other KPIs unchanged', async () => {
    const bare = { conn: sim.influx, inventory: sim.loaded.inventory, config: sim.loaded.config.kpi, now: hubNow };
    for (const site of scenario.sites) {
      const at = `${site.id} month 2027-02-01`;
      const results = await hubKpis(bare, site.id, 'month', '2027-02-01');
      const co2e = results.find((r) => r.kpi === 'co2e_avoided_kg')!;
      expect(co2e, at).toMatchObject({ value: null, status: 'null', reason: 'not_configured', met: null });
      const strip = (rs: KpiResult[]): unknown[] =>
        rs.filter((r) => r.kpi !== 'co2e_avoided_kg').map((r) => ({ ...r, computedAt: '' }));
      expect(strip(results), at).toEqual(strip(hub.get(at)!));
    }
  });
});
