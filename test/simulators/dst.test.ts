/**
 * KPIs over DST changes, the hub against the simulator's ledger (docs/contract.md §5): a community
 * with a site in Europe/Berlin and one in America/Santiago (simulators/scenarios/dst.yaml) is sent
 * over MQTT to an in-process hub and stored in the real InfluxDB, twice: the week ending on
 * Santiago's 2026-09-06 (midnight skipped: the day starts at 04:00Z and has 23 hours), and the
 * week ending on Berlin's 2026-10-25 (25 hours). Every KPI of every day and week that has ended
 * inside a window, computed by the hub (src/kpi), must equal the ledger's: counts exactly, ratios
 * to 1e-9, nulls with the same reason. The two calendars are independent (src/kpi/period.ts and
 * simulators/time.ts). Months cannot be closed in a window of at most 28 days, so none is compared.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis as hubKpis, type KpiResult } from '../../src/kpi/index.ts';
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
import { startSimHub } from './helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/dst.yaml', import.meta.url));
const HOUR = 3_600_000;
const KINDS = ['day', 'week', 'month'] as const;

/** One simulated window: the ledger and the hub's results by `site kind date`. */
interface Run {
  window: Window;
  ledger: LedgerFile;
  hub: Map<string, KpiResult[]>;
}

let scenario: Scenario;
const runs: Run[] = [];

/** Periods of the ledger that ended inside the window (the hub has closed them too). */
function ended(run: Run, site: string, kind: (typeof KINDS)[number]): Array<[string, PeriodKpis]> {
  return Object.entries(run.ledger.kpis[site]![kind]).filter(([, p]) => Date.parse(p.end) <= run.window.endMs);
}

async function simulateWindow(start: string, days: number): Promise<Run> {
  const window = resolveWindow(scenario, { start, days });
  const t0 = Date.now();
  const now = (): number => window.endMs + (Date.now() - t0);
  const sim = await startSimHub(scenario, { now, kpi: false });
  try {
    const { ledger } = await simulate({ scenario, window, url: sim.url });
    await sim.drained();
    const run: Run = { window, ledger, hub: new Map() };
    const deps = {
      conn: sim.influx,
      inventory: sim.loaded.inventory,
      config: sim.loaded.config.kpi,
      evaluation: sim.loaded.config.evaluation,
      now,
    };
    for (const site of scenario.sites)
      for (const kind of KINDS)
        for (const [date] of ended(run, site.id, kind))
          run.hub.set(`${site.id} ${kind} ${date}`, await hubKpis(deps, site.id, kind, date));
    return run;
  } finally {
    await sim.stop();
  }
}

beforeAll(async () => {
  scenario = loadScenario(SCENARIO);
  runs.push(await simulateWindow(scenario.time.start, scenario.time.days));
  runs.push(await simulateWindow('2026-10-18', 8));
}, 240_000);

afterAll(() => {
  for (const r of runs) console.info(`dst test: ${r.ledger.totals.messages} messages in ${r.ledger.window.start}…`);
});

/** The hub's device_availability of a period, and the period's length in hours from its result. */
function availability(run: Run, key: string): KpiResult {
  const r = run.hub.get(key)?.find((x) => x.kpi === 'device_availability');
  if (!r) throw new Error(`the hub computed no ${key}`);
  return r;
}

describe('KPIs over DST changes: the hub against the ledger', () => {
  it('both windows were delivered whole', () => {
    for (const { ledger } of runs) {
      expect(ledger.totals.unconfirmed).toBe(0);
      expect(ledger.totals.acked).toBe(ledger.totals.messages);
      expect(ledger.totals.messages).toBeGreaterThan(500);
    }
  });

  it('America/Santiago 2026-09-06 starts at 01:00 local (04:00Z) and has 23 hours; its week 167', () => {
    const [run] = runs;
    const day = run!.ledger.kpis['los-aromos']!.day['2026-09-06']!;
    expect([day.start, day.end, day.partial]).toEqual(['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', false]);
    const hub = availability(run!, 'los-aromos day 2026-09-06');
    expect(hub.start).toBe('2026-09-06T01:00:00-03:00');
    expect(hub.denominator).toBe(23 * 2);
    expect(availability(run!, 'los-aromos week 2026-08-31').denominator).toBe(167 * 2);
    expect(run!.ledger.kpis['los-aromos']!.week['2026-08-31']!.partial).toBe(false);
  });

  it('Europe/Berlin 2026-10-25 has 25 hours; its week 169', () => {
    const run = runs[1]!;
    const day = run.ledger.kpis['linden-hof']!.day['2026-10-25']!;
    expect([day.start, day.end, day.partial]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', false]);
    expect(availability(run, 'linden-hof day 2026-10-25')).toMatchObject({
      start: '2026-10-25T00:00:00+02:00',
      end: '2026-10-26T00:00:00+01:00',
      denominator: 25 * 2,
    });
    expect(availability(run, 'linden-hof week 2026-10-19').denominator).toBe(169 * 2);
    expect(run.ledger.kpis['linden-hof']!.week['2026-10-19']!.partial).toBe(false);
  });

  for (const kind of ['day', 'week'] as const) {
    it(`every KPI of every ${kind} that ended in a window matches the ledger`, () => {
      let compared = 0;
      for (const run of runs) {
        for (const site of scenario.sites) {
          for (const [date, p] of ended(run, site.id, kind)) {
            compareWithLedger(`${site.id} ${kind} ${date}`, run.hub.get(`${site.id} ${kind} ${date}`)!, p);
            compared++;
          }
        }
      }
      // Days: 7 + 6 (Berlin's first starts before the window) and 8 + 7; weeks: one each but Berlin's first.
      expect(compared).toBeGreaterThanOrEqual(kind === 'day' ? 26 : 3);
    });
  }

  it('events fell on the change days, and the day before the skipped midnight keeps its last hour', () => {
    const judged = (run: Run, site: string, date: string): number => {
      const p = run.ledger.kpis[site]!.day[date]!;
      return p.kpis.gate_denied_rate.denominator! + p.kpis.sorting_accuracy.denominator!;
    };
    expect(judged(runs[0]!, 'los-aromos', '2026-09-06')).toBeGreaterThan(0);
    expect(judged(runs[1]!, 'linden-hof', '2026-10-25')).toBeGreaterThan(0);
    // 2026-09-05 runs to 04:00Z: its local 23:00-24:00 (03:00Z-04:00Z) is not the next day's.
    const before = availability(runs[0]!, 'los-aromos day 2026-09-05');
    expect([Date.parse(before.end) - Date.parse(before.start), before.denominator]).toEqual([24 * HOUR, 24 * 2]);
  });
});
