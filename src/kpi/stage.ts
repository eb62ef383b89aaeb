/**
 * The KPI scheduler as a component of the hub (docs/architecture.md, "Lifecycle"): `start()`
 * takes a writer from the store's InfluxDB factory and starts the scheduler; `stop()` waits for a
 * run in progress (it ends after its current site-period) and closes the writer by the shutdown
 * deadline. KPI points go straight to InfluxDB with the writer's own retries: a KPI run that cannot
 * write is retried at the next tick, never recorded as zero (docs/contract.md §5).
 */
import type { Inventory } from '../config/inventory.ts';
import type { Component, StopContext } from '../lifecycle.ts';
import { settlesBy } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { InfluxStore, PointWriter } from '../store/index.ts';
import type { WrittenProgress } from './late.ts';
import { createKpiScheduler, type KpiScheduler, type KpiSchedulerDeps, type KpiSchedulerStats } from './scheduler.ts';

export interface KpiStageOptions {
  influx: Pick<InfluxStore, 'connection' | 'writer'>;
  /** The hub's inventory (the live view: a reload applies from the next site-period computed). */
  inventory: Inventory;
  config: KpiSchedulerDeps['config'];
  logger: Logger;
  now: () => number;
  /** The broker's publish of the hub's own messages (retained `{root}/{site}/kpi/{kpi}`, docs/contract.md §2). */
  publish(topic: string, payload: string, options: { retain: boolean; qos: 0 | 1 }): Promise<void>;
  /** False while acknowledged data is not in InfluxDB yet: no period closes. */
  canClose?: () => boolean;
  /** How far accepted data has reached InfluxDB (the spool's position): closing and late marks wait for it. */
  progress?: WrittenProgress;
  /** The late-data marks file (`<dataDir>/kpi/late-marks.json`). */
  marksFile?: string;
  /** Told of each period stored for good (the report stage's hook, handed in by the wiring). */
  onPeriodComputed?: KpiSchedulerDeps['onPeriodComputed'];
  /** False while another hub holds the KPI lease (src/kpi/lease.ts): this hub's scheduler idles. */
  active?: () => boolean;
  /** Where late-data marks go while another hub holds the lease, and whence the holder takes them. */
  handOff?: KpiSchedulerDeps['handOff'];
  /** The scheduler's timers (tests drive them). */
  timers?: Pick<KpiSchedulerDeps, 'schedule' | 'every'>;
}

/** See the file comment. */
export class KpiStage implements Component {
  readonly name = 'kpi';
  readonly #o: KpiStageOptions;
  #writer: (PointWriter & { close(): Promise<void> }) | undefined;
  #scheduler: KpiScheduler | undefined;
  /** Data accepted before the scheduler exists (the broker listens first): handed over at start. */
  #early: Array<[string, readonly number[]]> = [];

  constructor(options: KpiStageOptions) {
    this.#o = options;
  }

  start(): void {
    const o = this.#o;
    const writer = (this.#writer = o.influx.writer());
    this.#scheduler = createKpiScheduler({
      conn: o.influx.connection(),
      writer,
      inventory: o.inventory,
      config: o.config,
      logger: o.logger.child({ component: 'kpi' }),
      now: o.now,
      publish: (topic, payload, retain) => o.publish(topic, payload, { retain, qos: 1 }),
      ...(o.canClose ? { canClose: o.canClose } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.marksFile ? { marksFile: o.marksFile } : {}),
      ...(o.onPeriodComputed ? { onPeriodComputed: o.onPeriodComputed } : {}),
      ...(o.active ? { active: o.active } : {}),
      ...(o.handOff ? { handOff: o.handOff } : {}),
      ...o.timers,
    });
    for (const [site, times] of this.#early.splice(0)) this.#scheduler.accepted(site, times);
    this.#scheduler.start();
  }

  /** Data of `site` at `times` was accepted (the ingest's hook): late data marks its periods. */
  accepted(site: string, times: readonly number[]): void {
    if (this.#scheduler) this.#scheduler.accepted(site, times);
    else this.#early.push([site, times]);
  }

  /**
   * This hub took the KPI lease: a run and a late check at once, rather than at the next cron tick,
   * so the periods the previous holder left are closed without waiting for the schedule.
   */
  leaseTaken(): void {
    void this.#scheduler?.tick();
    void this.#scheduler?.late();
  }

  async stop({ deadline }: StopContext): Promise<void> {
    await this.#scheduler?.stop();
    if (this.#writer) await settlesBy(this.#writer.close(), deadline);
  }

  stats(): KpiSchedulerStats | undefined {
    return this.#scheduler?.stats();
  }
}
