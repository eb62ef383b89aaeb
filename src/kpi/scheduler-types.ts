/**
 * The KPI scheduler's shapes (scheduler.ts): what it needs, what its runs and late checks report,
 * its counters. Apart so scheduler.ts holds the behaviour only.
 */
import type { Inventory } from '../config/inventory.ts';
import type { DurationHistogram } from '../histogram.ts';
import type { Logger } from '../log.ts';
import type { InfluxConnection, PointWriter } from '../store/index.ts';
import type { EvaluationConfig, KpiConfig } from './definitions/index.ts';
import type { WrittenProgress } from './late.ts';
import type { MarksHandOff } from './late-handoff.ts';
import type { Period } from './period.ts';

/** A started timer of the scheduler. */
export interface Stoppable {
  stop(): void | Promise<void>;
}

/** What {@link createKpiScheduler} needs. */
export interface KpiSchedulerDeps {
  /** The InfluxDB queried. */
  conn: InfluxConnection;
  /** Where `kpi` points go (the hub's writer). */
  writer: PointWriter;
  inventory: Inventory;
  /**
   * The hub config; only `kpi`, `evaluation` (CO₂e factors), `mqtt.rootTopic` and `ingest.maxAge`
   * (the backfill's reach, default 30 d) are read.
   */
  config: {
    readonly kpi: KpiConfig;
    readonly evaluation?: EvaluationConfig;
    readonly mqtt: { readonly rootTopic: string };
    readonly ingest?: { readonly maxAge: number };
  };
  logger: Logger;
  /** Publishes a message (the broker's `aedes.publish` with QoS 1). Failures are logged, not retried. */
  publish(topic: string, payload: string, retain: boolean): void | Promise<void>;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** False while data is known to be missing from InfluxDB (e.g. the spool is draining): periods are then refreshed but
   * not closed. */
  canClose?: () => boolean;
  /**
   * False while another hub runs the KPI scheduler (the cluster's KPI lease, src/kpi/lease.ts):
   * ticks and late checks are skipped, and a run in progress ends at its next site-period. Default
   * always true.
   */
  active?: () => boolean;
  /**
   * Where a hub without the KPI lease hands its ready late-data marks, and where the holder takes
   * them (late-handoff.ts); none: marks stay with the hub that noted them.
   */
  handOff?: MarksHandOff;
  /** Runs `run` on the cron `expression`; default node-cron. Tests pass their own. */
  schedule?: (expression: string, run: () => Promise<unknown>) => Stoppable;
  /** Runs `run` every `ms` (the late-data check); default an unref'd `setInterval`. Tests pass their own. */
  every?: (ms: number, run: () => Promise<unknown>) => Stoppable;
  /** How far accepted data has reached InfluxDB (the spool drainer); default: at once. */
  progress?: WrittenProgress;
  /** Where the late-data marks are kept (`<dataDir>/kpi/late-marks.json`); default memory only. */
  marksFile?: string;
  /**
   * Told of each period stored for good (the wiring hands in the report stage's, which ranks above
   * kpi: docs/architecture.md). Called synchronously after the results are written; it must only
   * take note, and whatever it throws is logged, never a failure of the KPI run.
   */
  onPeriodComputed?: (event: PeriodComputed) => void;
}

/**
 * A site-period whose results were stored for good: `close` when the scheduler closed it, `late`
 * when a closed (or ended) period was recomputed after late data or by the start's backfill.
 */
export interface PeriodComputed {
  site: string;
  period: Period;
  reason: 'close' | 'late';
}

/** What one late check did. */
export interface LateReport {
  /** True when another late check was in progress, after `stop()`, or while another hub holds the KPI lease. */
  skipped: boolean;
  /** Periods marked by the backfill in this check. */
  backfilled: number;
  /** Marked site-periods recomputed. */
  recomputed: number;
  failed: number;
  /** Without the KPI lease, with a hand-off: ready marks handed to the holder. */
  handedOver?: number;
}

/** What one run did. */
export interface TickReport {
  /**
   * True when the tick came while a run was in progress, after `stop()`, or while another hub holds
   * the KPI lease, and did nothing.
   */
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
  /** Marked site-periods recomputed (late data, backfill), over all runs (`hub_kpi_recomputed_total`). */
  recomputed: number;
  /** Site-periods marked and not yet recomputed (`hub_kpi_marks_pending`). */
  marksPending: number;
  /** Periods the start's backfill marked; null until it has run. */
  backfilled: number | null;
}

/** The scheduler. */
export interface KpiScheduler {
  /** Schedules the ticks and runs one at once. */
  start(): void;
  /** Stops scheduling and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
  /** One run now (what each cron tick calls). Never rejects. */
  tick(): Promise<TickReport>;
  /** One late check now: the backfill if it has not run, then ready marks. Never rejects. */
  late(): Promise<LateReport>;
  /** Data of `site` at `times` (epoch ms) was accepted (the ingest's hook): mark what it touches. */
  accepted(site: string, times: readonly number[]): void;
  /** Resolves once the marks file holds the current marks. */
  flushMarks(): Promise<void>;
  /** A snapshot of the run counters. */
  stats(): KpiSchedulerStats;
}
