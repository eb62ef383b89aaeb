/**
 * KPI truth over time (src/kpi/README.md, "Late data and backfill"): the hub's real KPI scheduler
 * runs through four simulated days while the simulator (simulators/scenarios/late.yaml) publishes
 * them over MQTT into the hub (spool, real InfluxDB). Its gateways go offline for hours, twice
 * across a local midnight, and send their backlog on reconnecting: after the day it belongs to has
 * been closed. At the end every `kpi` point stored in InfluxDB for the window equals the ledger's
 * value (simulators/ledger.ts, independent of src/).
 *
 * The hub's clock is the simulated time of the message being published (so the scheduler sees the
 * days pass and closes them as a live hub would); the test calls the scheduler's cron ticks and late
 * checks itself (its timers injected) between publishes, and waits for each to finish.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKpiResults, type KpiResult } from '../../src/kpi/index.ts';
import { loadScenario, resolveWindow, simulate, type LedgerFile, type Scenario } from '../../simulators/index.ts';
import { newStats } from '../../simulators/publisher.ts';
import { startSimHub, type SimHub } from '../simulators/helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/late.yaml', import.meta.url));
const MINUTE = 60_000;
const CLOSE_DELAY = 10 * MINUTE;

let scenario: Scenario;
let sim: SimHub;
let ledger: LedgerFile;
let windowEnd: number;
/** Cron ticks (each followed by a late check) the test made while the simulator published. */
const calls = { ticks: 0 };

beforeAll(async () => {
  scenario = loadScenario(SCENARIO);
  const window = resolveWindow(scenario);
  windowEnd = window.endMs;
  const stats = newStats();
  /** Set once the simulation is over: the hub's clock then stays just past the window. */
  const clock: { after?: number } = {};
  const now = (): number => clock.after ?? Math.max(stats.simMs, window.startMs);
  let tick: (() => Promise<unknown>) | undefined;
  let late: (() => Promise<unknown>) | undefined;
  sim = await startSimHub(scenario, {
    now,
    kpiConfig: { schedule: '*/5 * * * *', periods: ['day', 'week'], publishPeriod: 'day' },
    kpiTimers: {
      schedule: (_expression, run) => ((tick = run), { stop: () => undefined }),
      every: (_ms, run) => ((late = run), { stop: () => undefined }),
    },
  });
  // The scheduler's timers, driven by the test while the simulator publishes (a few simulated
  // minutes pass between two turns at this speed): one tick, then one late check, in turn.
  let publishing = true;
  const driver = (async () => {
    while (publishing) {
      await tick?.();
      await late?.();
      calls.ticks++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    // Four days in about 25 s of wall time.
    ({ ledger } = await simulate({ scenario, window, url: sim.url, stats, speed: (4 * 86_400_000) / 25_000 }));
  } finally {
    publishing = false;
    await driver;
  }
  await sim.drained();
  // Just past the window, once the last day's close delay has passed: the scheduler closes it and
  // serves every mark left (each check serves a few).
  clock.after = windowEnd + CLOSE_DELAY + MINUTE;
  for (let i = 0; i < 50; i++) {
    await tick!();
    await late!();
    const k = sim.hub.stats().kpi!;
    if (k.marksPending === 0 && i > 0) break;
  }
}, 180_000);

afterAll(async () => {
  await sim?.stop();
});

/** Stored results of the site for `kind`, periods starting inside the window. */
async function stored(kind: 'day' | 'week'): Promise<KpiResult[]> {
  const site = scenario.sites[0]!.id;
  return readKpiResults(sim.influx, sim.loaded.inventory, {
    site,
    period: kind,
    fromMs: Date.parse(ledger.window.start),
    toMs: windowEnd,
  });
}

describe('late data reaches the stored KPIs (simulated days, real scheduler, real hub)', () => {
  it('every message was acknowledged, and backlogs arrived after their day had been closed', () => {
    expect(ledger.totals.unconfirmed).toBe(0);
    expect(ledger.totals.acked).toBe(ledger.totals.messages);
    expect(ledger.totals.byFault['late_batch']).toBeGreaterThan(0);
    const k = sim.hub.stats().kpi!;
    expect(calls.ticks).toBeGreaterThan(0);
    // Four days closed (and the week is still running), and late data reopened some of them: more
    // recomputes than the start's backfill (the empty days before the window) accounts for.
    expect(k.closed).toBeGreaterThanOrEqual(4);
    expect(k.backfilled).toBeGreaterThan(0);
    expect(k.recomputed).toBeGreaterThan(k.backfilled!);
    expect(k.marksPending).toBe(0);
  });

  it("every stored day's KPIs equal the ledger's", async () => {
    const site = scenario.sites[0]!.id;
    const days = await stored('day');
    const ledgerDays = ledger.kpis[site]!.day;
    expect(new Set(days.map((r) => r.date))).toEqual(new Set(Object.keys(ledgerDays)));
    expect(Object.keys(ledgerDays)).toHaveLength(4);
    for (const r of days) {
      const mine = ledgerDays[r.date]!.kpis[r.kpi];
      const at = `day ${r.date} ${r.kpi}`;
      expect(r.complete, at).toBe(true);
      expect(r.numerator, at).toBe(mine.numerator);
      expect(r.denominator, at).toBe(mine.denominator ?? null);
      if (mine.value === null) expect(r.value, at).toBeNull();
      else expect(r.value, at).toBeCloseTo(mine.value, 12);
    }
  });

  it("the running week's stored counts equal the ledger's for the days simulated", async () => {
    const site = scenario.sites[0]!.id;
    const weeks = await stored('week');
    expect(weeks.map((r) => r.date)).toEqual(Array(weeks.length).fill('2026-11-23'));
    const p = ledger.kpis[site]!.week['2026-11-23']!;
    expect(p.partial).toBe(true);
    for (const r of weeks) {
      const mine = p.kpis[r.kpi];
      const at = `week ${r.kpi}`;
      expect(r.complete, at).toBe(false);
      expect(r.numerator, at).toBe(mine.numerator);
      // Availability of a running week counts its ended hours; the others are the window's counts.
      if (r.kpi === 'device_availability') continue;
      expect(r.denominator, at).toBe(mine.denominator ?? null);
      if (mine.value === null) expect(r.value, at).toBeNull();
      else expect(r.value, at).toBeCloseTo(mine.value, 12);
    }
  });
});
