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
import type { KpiConfig } from './definitions/index.ts';
import { createKpiScheduler, type KpiScheduler, type KpiSchedulerStats } from './scheduler.ts';

export interface KpiStageOptions {
  influx: Pick<InfluxStore, 'connection' | 'writer'>;
  /** The hub's inventory (the live view: a reload applies from the next site-period computed). */
  inventory: Inventory;
  config: { readonly kpi: KpiConfig; readonly mqtt: { readonly rootTopic: string } };
  logger: Logger;
  now: () => number;
  /** The broker's publish of the hub's own messages (retained `{root}/{site}/kpi/{kpi}`, docs/contract.md §2). */
  publish(topic: string, payload: string, options: { retain: boolean; qos: 0 | 1 }): Promise<void>;
  /** False while acknowledged data is not in InfluxDB yet (the spool's `caughtUp`): no period closes. */
  canClose: () => boolean;
}

/** See the file comment. */
export class KpiStage implements Component {
  readonly name = 'kpi';
  readonly #o: KpiStageOptions;
  #writer: (PointWriter & { close(): Promise<void> }) | undefined;
  #scheduler: KpiScheduler | undefined;

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
      canClose: o.canClose,
    });
    this.#scheduler.start();
  }

  async stop({ deadline }: StopContext): Promise<void> {
    await this.#scheduler?.stop();
    if (this.#writer) await settlesBy(this.#writer.close(), deadline);
  }

  stats(): KpiSchedulerStats | undefined {
    return this.#scheduler?.stats();
  }
}
