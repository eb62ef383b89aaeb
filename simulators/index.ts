/**
 * The simulator as a library, for the CLI, the tests and the benchmarks: load a scenario, choose
 * its window, run it against a hub (or without one) and get the ledger.
 */
import { generate, type Window } from './generator.ts';
import { Ledger, type LedgerDetail, type LedgerFile } from './ledger.ts';
import { newStats, publish, type PublishStats } from './publisher.ts';
import type { Scenario } from './scenario/load.ts';
import { MS, localDate, localMidnight } from './time.ts';

export { generate, type Window } from './generator.ts';
export { Ledger, type LedgerDetail, type LedgerFile } from './ledger.ts';
export { loadScenario, parseScenario, ScenarioError, type Scenario } from './scenario/load.ts';
export { inventoryYaml, rosterFile, scenarioInventory, scenarioRosters } from './inventory.ts';
export type { PublishStats } from './publisher.ts';

/** How to place the simulated window (README, "Simulated time"). */
export interface WindowOptions {
  /** `YYYY-MM-DD` (local, in the scenario's zone) or `auto`; default the scenario's `time.start`. */
  start?: string;
  /** Days; default the scenario's. */
  days?: number;
  /** Simulate only this much of the window (ms), e.g. one hour for a load round. */
  until?: number;
  /** Keep going after the window, in real time. */
  follow?: boolean;
}

/**
 * The window of a scenario. A fixed `start` gives the same window on any day. `auto` anchors on
 * the wall clock, and only here: the window is the last `days` whole local days before today, so
 * it ends before the hub's "now" and starts well inside its 30-day limit.
 */
export function resolveWindow(sc: Scenario, o: WindowOptions = {}, now: number = Date.now()): Window {
  const tz = sc.time.timezone;
  const days = o.days ?? sc.time.days;
  const start = o.start ?? sc.time.start;
  let startMs: number;
  if (start === 'auto') {
    const today = localMidnight(localDate(now, tz), tz);
    startMs = localMidnight(localDate(today - days * MS.day + 12 * MS.hour, tz), tz);
  } else startMs = localMidnight(start, tz);
  const end = localMidnight(localDate(startMs + days * MS.day + 12 * MS.hour, tz), tz);
  let endMs = o.follow ? Infinity : end;
  if (o.until !== undefined) endMs = Math.min(endMs, startMs + o.until);
  return { startMs, endMs };
}

/** Options of {@link simulate}. */
export interface SimulateOptions {
  scenario: Scenario;
  window: Window;
  /** `mqtt://host:port` of the hub. */
  url: string;
  /** Simulated ms per real ms (default Infinity: as fast as acknowledged). */
  speed?: number;
  /** Publish nothing before its simulated time has come (default: when the window is open-ended). */
  realTime?: boolean;
  limit?: number;
  detail?: LedgerDetail;
  signal?: AbortSignal;
  /** Live counters (the CLI's status line reads them). */
  stats?: PublishStats;
  /** Extra facts for the ledger's `run` section. */
  run?: Record<string, unknown>;
}

/** What a run returns. */
export interface SimulateResult {
  ledger: LedgerFile;
  stats: PublishStats;
  wallMs: number;
}

/** Run a scenario against a hub; resolves once every message is settled and every gateway has left. */
export async function simulate(o: SimulateOptions): Promise<SimulateResult> {
  const ledger = new Ledger(o.scenario, o.window.startMs, o.detail);
  const stats = o.stats ?? newStats();
  const t0 = performance.now();
  await publish(
    generate(o.scenario, o.window),
    {
      url: o.url,
      scenario: o.scenario,
      ledger,
      speed: o.speed ?? Infinity,
      realTime: o.realTime ?? !Number.isFinite(o.window.endMs),
      ...(o.limit === undefined ? {} : { limit: o.limit }),
      ...(o.signal ? { signal: o.signal } : {}),
    },
    stats,
  );
  const wallMs = performance.now() - t0;
  ledger.setEnd(Number.isFinite(o.window.endMs) ? o.window.endMs : stats.simMs);
  const run = {
    hub: o.url,
    ...o.run,
    wallSeconds: round(wallMs / 1000),
    messagesPerSecond: round(stats.acked / Math.max(wallMs / 1000, 1e-3)),
    acked: stats.acked,
    unconfirmed: stats.unconfirmed,
    connectFailures: stats.connectFailures,
    ...(stats.allConnectedAfterMs === undefined
      ? {}
      : { allConnectedSeconds: round(stats.allConnectedAfterMs / 1000) }),
  };
  return { ledger: ledger.toJSON(run), stats, wallMs };
}

/** The ledger of a scenario without a hub: every message counted as acknowledged. */
export function dryRun(scenario: Scenario, window: Window, detail: LedgerDetail = 'all', limit = Infinity): LedgerFile {
  if (!Number.isFinite(window.endMs)) throw new RangeError('a dry run needs a finite window');
  const ledger = new Ledger(scenario, window.startMs, detail);
  let n = 0;
  for (const item of generate(scenario, window)) {
    if (item.type === 'message' && n++ >= limit) break;
    ledger.dispatched(item);
    if (item.type === 'message') ledger.settled(item, true);
  }
  ledger.setEnd(window.endMs);
  return ledger.toJSON({ hub: null, dryRun: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
