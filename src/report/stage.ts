/**
 * Reports that build themselves (docs/contract.md §5): the KPI scheduler tells, through the hook the
 * wiring hands it (`onPeriodComputed`, kpi ranks below report: docs/architecture.md), of each period
 * it closed or recomputed after late data; this component then builds that period's report for the
 * site from the stored KPI results, keeps it (JSON, Markdown, HTML, and a PDF when Chromium is
 * there), and applies `report.keep`.
 *
 * The hook only queues (one entry per site-period, the latest reason wins): a build never blocks or
 * fails the KPI run. Builds run one at a time. A failed build is logged and counted
 * (`hub_report_failures_total`); `community-hub report` builds any period on demand.
 */
import type { Inventory } from '../config/inventory.ts';
import type { HubConfig } from '../config/schema.ts';
import type { DeadLetterStore } from '../deadletters/store.ts';
import type { KpiConfig, PeriodComputed } from '../kpi/index.ts';
import { periodLabel } from '../kpi/index.ts';
import type { Component, StopContext } from '../lifecycle.ts';
import { settlesBy } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { InfluxConnection } from '../store/index.ts';
import { pruneReports, saveReport } from './files.ts';
import { gatherReport } from './gather.ts';
import { chromiumUsable, printPdf } from './pdf.ts';

/** The `report` section of the config. */
export type ReportSettings = HubConfig['report'];

/** Options of {@link ReportStage}. */
export interface ReportStageOptions {
  dataDir: string;
  /** A query connection to InfluxDB. */
  conn: InfluxConnection;
  inventory: Inventory;
  /** The `kpi` section of the config (targets). */
  kpi: KpiConfig;
  deadLetters: Pick<DeadLetterStore, 'list'>;
  settings: ReportSettings;
  /** The `evaluation` section (CO₂e factors), for a period whose KPIs are not stored yet. */
  evaluation?: HubConfig['evaluation'];
  logger: Logger;
  now: () => number;
}

/** Counters of the stage (`/metrics`). */
export interface ReportStageStats {
  /** Reports built and kept. */
  built: number;
  /** Builds that failed (logged; nothing kept of them). */
  failed: number;
  /** PDFs printed. */
  pdfs: number;
  /** PDFs not printed: Chromium missing, failing or too slow (the other formats are kept). */
  pdfFailed: number;
  /** Reports deleted by `report.keep`. */
  pruned: number;
  /** Site-periods waiting for their build. */
  pending: number;
}

/** See the file comment. */
export class ReportStage implements Component {
  readonly name = 'report';
  readonly #o: ReportStageOptions;
  readonly #queue = new Map<string, PeriodComputed>();
  readonly #counts = { built: 0, failed: 0, pdfs: 0, pdfFailed: 0, pruned: 0 };
  #worker: Promise<void> | undefined;
  #started = false;
  #stopped = false;
  #pdf = false;
  /** Kills a Chromium still printing when the hub stops. */
  readonly #abort = new AbortController();

  constructor(options: ReportStageOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const s = this.#o.settings;
    this.#pdf = s.pdf && (await chromiumUsable(s.chromium));
    if (s.pdf && !this.#pdf)
      this.#o.logger.warn(
        { chromium: s.chromium },
        'PDF reports are off: no Chromium to run at report.chromium (install chromium or set report.chromium)',
      );
    this.#started = true;
    this.#kick();
  }

  /**
   * The KPI scheduler's `onPeriodComputed`: queue the period's report. May come before `start()`
   * (the KPI stage runs a first tick as it starts); it is built once the stage has started.
   */
  periodComputed(event: PeriodComputed): void {
    if (this.#stopped || !this.#o.settings.periods.includes(event.period.kind)) return;
    this.#queue.set(`${event.site}\u0000${periodLabel(event.period)}`, event);
    if (this.#started) this.#kick();
  }

  async stop({ deadline }: StopContext): Promise<void> {
    this.#stopped = true;
    if (this.#queue.size > 0)
      this.#o.logger.warn(
        { pending: this.#queue.size },
        'reports not built before the stop (community-hub report builds them)',
      );
    this.#queue.clear();
    this.#abort.abort();
    if (this.#worker) await settlesBy(this.#worker, deadline);
  }

  stats(): ReportStageStats {
    return { ...this.#counts, pending: this.#queue.size };
  }

  #kick(): void {
    if (this.#worker || this.#stopped || this.#queue.size === 0) return;
    this.#worker = this.#drain().finally(() => {
      this.#worker = undefined;
      this.#kick(); // what was queued while the last build ended
    });
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue.entries().next(); !next.done && !this.#stopped; next = this.#queue.entries().next()) {
      this.#queue.delete(next.value[0]);
      await this.#build(next.value[1]);
    }
  }

  async #build({ site, period, reason }: PeriodComputed): Promise<void> {
    const o = this.#o;
    const log = o.logger.child({ site, period: periodLabel(period), trigger: reason });
    let paths;
    try {
      const r = await gatherReport(
        {
          conn: o.conn,
          inventory: o.inventory,
          config: o.kpi,
          report: o.settings,
          ...(o.evaluation ? { evaluation: o.evaluation } : {}),
          deadLetters: o.deadLetters,
          kpiSource: 'stored',
          now: o.now,
        },
        site,
        period.kind,
        period.date,
      );
      paths = await saveReport(o.dataDir, r, { lang: o.settings.language }, { trigger: reason, at: o.now() });
      this.#counts.built++;
      log.info('report built');
    } catch (err) {
      this.#counts.failed++;
      log.error({ err }, 'report not built (community-hub report builds it on demand)');
      return;
    }
    if (this.#pdf) {
      try {
        const { chromium, pdfTimeout } = o.settings;
        await printPdf({
          chromium,
          html: paths.html,
          pdf: paths.html.replace(/\.html$/, '.pdf'),
          timeoutMs: pdfTimeout,
          signal: this.#abort.signal,
        });
        this.#counts.pdfs++;
      } catch (err) {
        this.#counts.pdfFailed++;
        log.warn({ err }, 'report PDF not printed; the other formats are kept');
      }
    }
    try {
      const removed = await pruneReports(o.dataDir, site, period.kind, o.settings.keep);
      this.#counts.pruned += removed.length;
      if (removed.length > 0) log.info({ removed, keep: o.settings.keep }, 'old reports removed (report.keep)');
    } catch (err) {
      log.warn({ err }, 'old reports not removed (report.keep); tried again after the next build');
    }
  }
}
