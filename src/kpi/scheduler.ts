/**
 * The KPI scheduler (docs/contract.md §5: "computes the current period every few minutes and closes
 * each period shortly after it ends"). On each node-cron tick (`kpi.schedule`), for every site and
 * every period kind of `kpi.periods`, in the site's timezone:
 *
 * 1. the period before the current one, until it is closed: it is recomputed at every tick, and
 *    the first tick at or after its end + `kpi.closeDelay` computes it a last time and closes it.
 *    Closing also waits until the spool drainer has written past what was accepted before the
 *    period ended (the position taken at the first tick after its end). Closed periods are
 *    remembered in memory only, so after a restart the previous period of each kind is computed
 *    once more (harmless: a recompute overwrites);
 * 2. the current period; for the kind `kpi.publishPeriod` its results are then published,
 *    retained, on `{root}/{site}/kpi/{kpi}` (docs/contract.md §2), and those of the previous
 *    period, once ended, on `{root}/{site}/kpi/{kpi}/previous`;
 * 3. late data and backfill (late.ts, backfill.ts): at most {@link LATE_BATCH} marked site-periods
 *    whose data is in InfluxDB are recomputed, at each tick and every {@link LATE_CHECK_MS} between
 *    ticks, so a mark is served within a minute. `start()` first marks every ended period within
 *    `ingest.maxAge` whose stored result is missing or incomplete.
 *
 * Runs never overlap: a tick that comes while one runs is skipped (and logged). A failure is logged
 * and nothing of that period is written; the next tick tries again. A retryable failure (InfluxDB
 * unreachable) ends the run early: the rest would fail the same way.
 */
import { createTask } from 'node-cron';
import { isHubError } from '../errors.ts';
import { copyHistogram, emptyHistogram, observeDuration, secondsSince } from '../histogram.ts';
import { periodsToBackfill } from './backfill.ts';
import { LateMarks, WRITTEN_AT_ONCE } from './late.ts';
import { handOver, takeOver } from './late-handoff.ts';
import { recomputeKpis } from './persist.ts';
import { periodAt, periodLabel, previousPeriod, type Period } from './period.ts';
import { previousTopic, toMessage, type KpiResult } from './result.ts';
import type {
  KpiScheduler,
  KpiSchedulerDeps,
  KpiSchedulerStats,
  LateReport,
  PeriodComputed,
  Stoppable,
  TickReport,
} from './scheduler-types.ts';

export type {
  KpiScheduler,
  KpiSchedulerDeps,
  KpiSchedulerStats,
  LateReport,
  PeriodComputed,
  Stoppable,
  TickReport,
} from './scheduler-types.ts';

/** Most marked site-periods recomputed by one tick or one late check: a backlog is never a storm. */
export const LATE_BATCH = 6;
/** How often marks are looked at between ticks (ms): a ready mark waits at most this long. */
export const LATE_CHECK_MS = 10_000;

const SKIPPED: TickReport = Object.freeze({ skipped: true, computed: 0, closed: 0, failed: 0 });

function cronSchedule(expression: string, run: () => Promise<unknown>): Stoppable {
  const task = createTask(expression, () => void run(), { name: 'community-hub-kpi' });
  void task.start();
  return task;
}

function interval(ms: number, run: () => Promise<unknown>): Stoppable {
  const timer = setInterval(() => void run(), ms);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

const DEFAULT_MAX_AGE_MS = 30 * 86_400_000;

/** Build the scheduler; nothing runs until `start()` (or a direct `tick()`). */
export function createKpiScheduler(deps: KpiSchedulerDeps): KpiScheduler {
  const log = deps.logger.child({ component: 'kpi' });
  const now = deps.now ?? Date.now;
  const canClose = deps.canClose ?? (() => true);
  const active = deps.active ?? (() => true);
  const progress = deps.progress ?? WRITTEN_AT_ONCE;
  const { kpi, mqtt } = deps.config;
  const maxAgeMs = deps.config.ingest?.maxAge ?? DEFAULT_MAX_AGE_MS;
  const marks = new LateMarks({
    ...(deps.marksFile ? { file: deps.marksFile } : {}),
    inventory: deps.inventory,
    kinds: kpi.periods,
    progress,
    now,
    logger: log,
  });
  let closed = new Set<string>();
  /** Per previous period not closed yet: the spool position at the first tick after its end. */
  let endPositions = new Map<string, unknown>();
  let running: Promise<TickReport> | undefined;
  let lateRunning: Promise<LateReport> | undefined;
  /** Tick runs and late checks take turns: never two computations at once. */
  let turn: Promise<unknown> = Promise.resolve();
  const timers: Stoppable[] = [];
  let started = false;
  let stopped = false;
  let backfilled: number | null = null;
  /** When `start()` ran: gateways send their backlog after a hub restart, so nothing closes at once. */
  let startedAt: number | undefined;
  const counters: Omit<KpiSchedulerStats, 'marksPending' | 'backfilled'> = {
    runs: 0,
    failedRuns: 0,
    failures: 0,
    closed: 0,
    lastRunSeconds: null,
    lastRunOk: null,
    runDuration: emptyHistogram(),
    recomputed: 0,
  };

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = turn.then(fn);
    turn = p.catch(() => undefined);
    return p;
  };

  const recompute = (site: string, p: Period): Promise<KpiResult[]> =>
    recomputeKpis(
      {
        conn: deps.conn,
        inventory: deps.inventory,
        config: kpi,
        ...(deps.config.evaluation ? { evaluation: deps.config.evaluation } : {}),
        writer: deps.writer,
        now,
      },
      site,
      p.kind,
      p.date,
    );

  /** Tells the wiring a period is stored for good; a throwing listener never fails the run. */
  function computed(event: PeriodComputed): void {
    try {
      deps.onPeriodComputed?.(event);
    } catch (err) {
      log.error({ err, site: event.site, period: periodLabel(event.period) }, 'onPeriodComputed failed');
    }
  }

  async function publish(results: readonly KpiResult[], previous = false): Promise<void> {
    for (const r of results) {
      const { topic, payload } = toMessage(r, mqtt.rootTopic);
      const to = previous ? previousTopic(mqtt.rootTopic, r.site, r.kpi) : topic;
      try {
        await deps.publish(to, payload, true);
      } catch (err) {
        log.warn({ err, topic: to }, 'could not publish a KPI');
      }
    }
  }

  /** Computes one site-period; false when the run must end (a retryable failure), undefined after another failure. */
  async function attempt(
    report: { computed: number; failed: number },
    site: string,
    p: Period,
    what: 'close' | 'refresh' | 'previous' | 'late',
  ): Promise<KpiResult[] | false | undefined> {
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
  }

  /** Is `p` the last ended period of `kpi.publishPeriod` (the one of `…/previous`)? */
  function isLastEnded(site: string, p: Period): boolean {
    const tz = deps.inventory.site(site)?.timezone;
    if (p.kind !== kpi.publishPeriod || tz === undefined) return false;
    return previousPeriod(periodAt(p.kind, now(), tz)).startMs === p.startMs;
  }

  /** Recomputes up to {@link LATE_BATCH} ready marks; false when a retryable failure ended it. */
  async function serveMarks(report: { computed: number; failed: number }): Promise<number | false> {
    let served = 0;
    for (const m of marks.ready(LATE_BATCH)) {
      if (stopped || !active()) break;
      const results = await attempt(report, m.site, m.period, 'late');
      if (results === false) return false;
      // A failure that no retry fixes (e.g. a site gone from the inventory) drops the mark: logged above.
      marks.done(m);
      if (!results) continue;
      served++;
      counters.recomputed++;
      log.info({ site: m.site, period: periodLabel(m.period) }, 'KPI period recomputed: late data or backfill');
      computed({ site: m.site, period: m.period, reason: 'late' });
      if (isLastEnded(m.site, m.period)) await publish(results, true);
    }
    return served;
  }

  async function backfill(): Promise<number> {
    let n = 0;
    for (const site of deps.inventory.sites) {
      if (stopped) break;
      const periods = await periodsToBackfill(deps.conn, deps.inventory, site.id, kpi.periods, now(), maxAgeMs);
      for (const p of periods) if (marks.add(site.id, p)) n++;
    }
    log.info({ periods: n, maxAgeMs }, 'KPI backfill: ended periods without a complete stored result marked');
    return n;
  }

  async function runLate(): Promise<LateReport> {
    const report = { skipped: false, backfilled: 0, recomputed: 0, computed: 0, failed: 0 };
    if (backfilled === null && started) {
      try {
        backfilled = report.backfilled = await backfill();
      } catch (err) {
        report.failed++;
        log.warn({ err }, 'KPI backfill failed; tried again at the next check');
      }
    }
    // The holder of the KPI lease also recomputes what other hubs' late data marked (late-handoff.ts).
    if (deps.handOff)
      await takeOver(marks, deps.handOff, { inventory: deps.inventory, kinds: kpi.periods, limit: LATE_BATCH, log });
    const served = await serveMarks(report);
    report.recomputed = served === false ? 0 : served;
    const { computed: _, ...out } = report;
    return out;
  }

  async function run(): Promise<TickReport> {
    const report = { skipped: false, computed: 0, closed: 0, failed: 0 };
    const at = now();
    const keep = new Set<string>();
    for (const site of deps.inventory.sites) {
      for (const kind of kpi.periods) {
        // A stop ends the run at the next site-period, so shutdown never waits for a whole run
        // over many sites (shutdown.timeout); the rest is computed at the next start. A hub that lost
        // the KPI lease stops as soon (src/kpi/lease.ts): the new holder computes it.
        if (stopped || !active()) return finish(report);
        const current = periodAt(kind, at, site.timezone);
        const previous = previousPeriod(current);
        const key = `${site.id}\u0000${kind}\u0000${previous.date}`;
        keep.add(key);
        if (!closed.has(key)) {
          // What was accepted before the period ended is behind this position: closing waits until
          // the drainer has written past it (not for an idle drainer: under load that never comes).
          if (!endPositions.has(key)) endPositions.set(key, progress.position());
          // Closing waits `closeDelay` after the period's end and after the scheduler's start: a
          // restarted hub receives the gateways' backlogs (late data) in its first minutes.
          const settled = startedAt === undefined || at >= startedAt + kpi.closeDelay;
          const closing =
            at >= previous.endMs + kpi.closeDelay && settled && progress.written(endPositions.get(key)) && canClose();
          const done = await attempt(report, site.id, previous, closing ? 'close' : 'previous');
          if (done === false) return finish(report);
          if (done && kind === kpi.publishPeriod) await publish(done, true);
          if (done && closing) {
            closed.add(key);
            report.closed++;
            log.info({ site: site.id, period: periodLabel(previous) }, 'KPI period closed');
            computed({ site: site.id, period: previous, reason: 'close' });
          }
        }
        const results = await attempt(report, site.id, current, 'refresh');
        if (results === false) return finish(report);
        if (results && kind === kpi.publishPeriod) await publish(results);
      }
    }
    closed = new Set([...closed].filter((k) => keep.has(k))); // forget periods no longer "previous"
    endPositions = new Map([...endPositions].filter(([k]) => keep.has(k) && !closed.has(k)));
    await serveMarks(report);
    return finish(report);
  }

  function finish(report: TickReport): TickReport {
    log.debug(report, 'KPI run finished');
    return report;
  }

  async function tick(): Promise<TickReport> {
    if (stopped || !active()) return SKIPPED;
    if (running) {
      log.info('a KPI run is still in progress; this tick is skipped');
      return SKIPPED;
    }
    const t0 = process.hrtime.bigint();
    const current = (running = exclusive(run)
      .catch((err: unknown) => {
        log.error({ err }, 'KPI run failed');
        return { skipped: false, computed: 0, closed: 0, failed: 1 };
      })
      .then((report) => {
        const seconds = secondsSince(t0);
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

  /** Without the KPI lease: this hub's ready marks go to the holder, if there is a hand-off. */
  async function handOverLate(): Promise<LateReport> {
    const handedOver = deps.handOff ? await handOver(marks, deps.handOff, LATE_BATCH, log) : 0;
    return { skipped: true, backfilled: 0, recomputed: 0, failed: 0, ...(deps.handOff ? { handedOver } : {}) };
  }

  async function late(): Promise<LateReport> {
    if (stopped || lateRunning) return { skipped: true, backfilled: 0, recomputed: 0, failed: 0 };
    const current = (lateRunning = exclusive(active() ? runLate : handOverLate).catch((err: unknown) => {
      log.error({ err }, 'KPI late check failed');
      return { skipped: false, backfilled: 0, recomputed: 0, failed: 1 };
    }));
    try {
      return await current;
    } finally {
      lateRunning = undefined;
    }
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      startedAt = now();
      timers.push((deps.schedule ?? cronSchedule)(kpi.schedule, tick));
      timers.push((deps.every ?? interval)(LATE_CHECK_MS, late));
      log.info(
        { schedule: kpi.schedule, periods: kpi.periods, closeDelayMs: kpi.closeDelay, marks: marks.size },
        'KPI scheduler started',
      );
      void tick();
      void late();
    },

    /** Stops scheduling; a run in progress ends after its current site-period. */
    async stop() {
      stopped = true;
      const ts = timers.splice(0);
      for (const t of ts) await t.stop();
      await running;
      await lateRunning;
      await marks.flush();
    },

    tick,
    late,

    accepted(site, times) {
      marks.note(site, times);
    },

    flushMarks: () => marks.flush(),

    stats() {
      return {
        ...counters,
        runDuration: copyHistogram(counters.runDuration),
        marksPending: marks.size,
        backfilled,
      };
    },
  };
}
