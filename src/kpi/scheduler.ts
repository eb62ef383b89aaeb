/**
 * The KPI scheduler (docs/contract.md §5: "computes the current period every few minutes and closes
 * each period shortly after it ends"). On each node-cron tick (`kpi.schedule`), for every site and
 * every period kind of `kpi.periods`, in the site's timezone:
 *
 * 1. the period before the current one, until it is closed: it is recomputed at every tick, and
 *    the first tick at or after its end + `kpi.closeDelay` computes it a last time and closes it.
 *    Closed periods are remembered in memory only, so after a restart the previous period of each
 *    kind is computed once more (harmless: a recompute overwrites). Older periods (the hub was
 *    down across several boundaries, or late data) are recomputed with `community-hub kpi compute`;
 * 2. the current period; for the kind `kpi.publishPeriod` its results are then published,
 *    retained, on `{root}/{site}/kpi/{kpi}` (docs/contract.md §2).
 *
 * Runs never overlap: a tick that comes while one runs is skipped (and logged). A failure is logged
 * and nothing of that period is written; the next tick tries again. A retryable failure (InfluxDB
 * unreachable) ends the run early: the rest would fail the same way.
 */
import { createTask } from 'node-cron';
import type { Inventory } from '../config/inventory.ts';
import { isHubError } from '../errors.ts';
import { copyHistogram, emptyHistogram, observeDuration, secondsSince, type DurationHistogram } from '../histogram.ts';
import type { Logger } from '../log.ts';
import type { InfluxConnection, PointWriter } from '../store/index.ts';
import type { KpiConfig } from './definitions/index.ts';
import { recomputeKpis } from './persist.ts';
import { periodAt, periodLabel, previousPeriod, type Period } from './period.ts';
import { toMessage, type KpiResult } from './result.ts';

/** What {@link createKpiScheduler} needs. */
export interface KpiSchedulerDeps {
  /** The InfluxDB queried. */
  conn: InfluxConnection;
  /** Where `kpi` points go (the hub's writer). */
  writer: PointWriter;
  inventory: Inventory;
  /** The hub config; only `kpi` and `mqtt.rootTopic` are read. */
  config: { readonly kpi: KpiConfig; readonly mqtt: { readonly rootTopic: string } };
  logger: Logger;
  /** Publishes a message (the broker's `aedes.publish` with QoS 1). Failures are logged, not retried. */
  publish(topic: string, payload: string, retain: boolean): void | Promise<void>;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** False while data is known to be missing from InfluxDB (e.g. the spool is draining): periods are then refreshed but
   * not closed. */
  canClose?: () => boolean;
  /** Runs `run` on the cron `expression`; default node-cron. Tests pass their own. */
  schedule?: (expression: string, run: () => void) => { stop(): void | Promise<void> };
}

/** What one run did. */
export interface TickReport {
  /** True when the tick came while a run was in progress, or after `stop()`, and did nothing. */
  skipped: boolean;
  /** Site-periods computed and written. */
  computed: number;
  /** Periods closed in this run. */
  closed: number;
  /** Site-periods that failed (retried next tick). */
  failed: number;
}

/** Counters of the runs (`/metrics`); skipped ticks are not runs. */
export interface KpiSchedulerStats {
  /** Runs finished. */
  runs: number;
  /** Runs with at least one failed site-period (or that failed as a whole). */
  failedRuns: number;
  /** Site-periods that failed, over all runs. */
  failures: number;
  /** Site-periods closed (computed a last time once ended, closeDelay passed and nothing waited), over all runs. */
  closed: number;
  /** Duration of the last finished run, seconds; null before the first. */
  lastRunSeconds: number | null;
  /** Whether the last finished run had no failure; null before the first. */
  lastRunOk: boolean | null;
  /** Durations (seconds) of the finished runs (`hub_kpi_run_duration_seconds`). */
  runDuration: DurationHistogram;
}

/** The scheduler. */
export interface KpiScheduler {
  /** Schedules the ticks and runs one at once. */
  start(): void;
  /** Stops scheduling and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
  /** One run now (what each cron tick calls). Never rejects. */
  tick(): Promise<TickReport>;
  /** A snapshot of the run counters. */
  stats(): KpiSchedulerStats;
}

const SKIPPED: TickReport = Object.freeze({ skipped: true, computed: 0, closed: 0, failed: 0 });

function cronSchedule(expression: string, run: () => void): { stop(): void | Promise<void> } {
  const task = createTask(expression, run, { name: 'community-hub-kpi' });
  void task.start();
  return task;
}

/** Build the scheduler; nothing runs until `start()` (or a direct `tick()`). */
export function createKpiScheduler(deps: KpiSchedulerDeps): KpiScheduler {
  const log = deps.logger.child({ component: 'kpi' });
  const now = deps.now ?? Date.now;
  const canClose = deps.canClose ?? (() => true);
  const { kpi, mqtt } = deps.config;
  let closed = new Set<string>();
  let running: Promise<TickReport> | undefined;
  let task: { stop(): void | Promise<void> } | undefined;
  let stopped = false;
  /** When `start()` ran: gateways send their backlog after a hub restart, so nothing closes at once. */
  let startedAt: number | undefined;
  const counters: KpiSchedulerStats = {
    runs: 0,
    failedRuns: 0,
    failures: 0,
    closed: 0,
    lastRunSeconds: null,
    lastRunOk: null,
    runDuration: emptyHistogram(),
  };

  const recompute = (site: string, p: Period): Promise<KpiResult[]> =>
    recomputeKpis(
      { conn: deps.conn, inventory: deps.inventory, config: kpi, writer: deps.writer, now },
      site,
      p.kind,
      p.date,
    );

  async function publish(results: readonly KpiResult[]): Promise<void> {
    for (const r of results) {
      const { topic, payload } = toMessage(r, mqtt.rootTopic);
      try {
        await deps.publish(topic, payload, true);
      } catch (err) {
        log.warn({ err, topic }, 'could not publish a KPI');
      }
    }
  }

  async function run(): Promise<TickReport> {
    const report = { skipped: false, computed: 0, closed: 0, failed: 0 };
    const at = now();
    const keep = new Set<string>();
    /** Computes one site-period; false when the run must end (a retryable failure). */
    const attempt = async (
      site: string,
      p: Period,
      what: 'close' | 'refresh' | 'previous',
    ): Promise<KpiResult[] | false | undefined> => {
      try {
        const results = await recompute(site, p);
        report.computed++;
        return results;
      } catch (err) {
        report.failed++;
        const retryable = isHubError(err) && err.retryable;
        log.warn(
          { err, site, period: periodLabel(p), what, retryable },
          'KPI computation failed; retried at the next tick',
        );
        return retryable ? false : undefined;
      }
    };
    for (const site of deps.inventory.sites) {
      for (const kind of kpi.periods) {
        // A stop ends the run at the next site-period, so shutdown never waits for a whole run
        // over many sites (shutdown.timeout); the rest is computed at the next start.
        if (stopped) return finish(report);
        const current = periodAt(kind, at, site.timezone);
        const previous = previousPeriod(current);
        const key = `${site.id}\u0000${kind}\u0000${previous.date}`;
        keep.add(key);
        if (!closed.has(key)) {
          // Closing waits `closeDelay` after the period's end and after the scheduler's start: a
          // restarted hub receives the gateways' backlogs (late data) in its first minutes.
          const settled = startedAt === undefined || at >= startedAt + kpi.closeDelay;
          const closing = at >= previous.endMs + kpi.closeDelay && settled && canClose();
          const done = await attempt(site.id, previous, closing ? 'close' : 'previous');
          if (done === false) return finish(report);
          if (done && closing) {
            closed.add(key);
            report.closed++;
            log.info({ site: site.id, period: periodLabel(previous) }, 'KPI period closed');
          }
        }
        const results = await attempt(site.id, current, 'refresh');
        if (results === false) return finish(report);
        if (results && kind === kpi.publishPeriod) await publish(results);
      }
    }
    closed = new Set([...closed].filter((k) => keep.has(k))); // forget periods no longer "previous"
    return finish(report);
  }

  function finish(report: TickReport): TickReport {
    log.debug(report, 'KPI run finished');
    return report;
  }

  async function tick(): Promise<TickReport> {
    if (stopped) return SKIPPED;
    if (running) {
      log.info('a KPI run is still in progress; this tick is skipped');
      return SKIPPED;
    }
    const started = process.hrtime.bigint();
    const current = (running = run()
      .catch((err: unknown) => {
        log.error({ err }, 'KPI run failed');
        return { skipped: false, computed: 0, closed: 0, failed: 1 };
      })
      .then((report) => {
        const seconds = secondsSince(started);
        counters.runs++;
        counters.failures += report.failed;
        counters.closed += report.closed;
        if (report.failed > 0) counters.failedRuns++;
        counters.lastRunSeconds = seconds;
        counters.lastRunOk = report.failed === 0;
        observeDuration(counters.runDuration, seconds);
        return report;
      }));
    try {
      return await current;
    } finally {
      running = undefined;
    }
  }

  return {
    start() {
      if (task || stopped) return;
      startedAt = now();
      task = (deps.schedule ?? cronSchedule)(kpi.schedule, () => void tick());
      log.info({ schedule: kpi.schedule, periods: kpi.periods, closeDelayMs: kpi.closeDelay }, 'KPI scheduler started');
      void tick();
    },

    /** Stops scheduling; a run in progress ends after its current site-period. */
    async stop() {
      stopped = true;
      const t = task;
      task = undefined;
      await t?.stop();
      await running;
    },

    tick,

    stats() {
      return { ...counters, runDuration: copyHistogram(counters.runDuration) };
    },
  };
}
