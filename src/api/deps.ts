/**
 * What the API reads: the hub's config and inventory, InfluxDB, a writer for KPI recomputes, and
 * the hub's own `ready()`/`stats()` (hub.ts passes itself; the api stage never imports hub.ts).
 */
import type { AuthCache, BrokerStats } from '../broker/index.ts';
import type { Inventory } from '../config/inventory.ts';
import type { ReloadResult } from '../config/live-inventory.ts';
import type { HubConfig } from '../config/schema.ts';
import type { KpiSchedulerStats } from '../kpi/index.ts';
import type { KpiLeaseStats } from '../kpi/lease.ts';
import type { Logger } from '../log.ts';
import type { InfluxConnection, PointWriter, WriterStats } from '../store/index.ts';
import type { DeadLetter, DeadLetterFilter, DeadLetterSelection, DeadLetterStoreStats } from '../deadletters/store.ts';
import type { ReplayResult } from '../store/ingest-stage.ts';
import type { IngestMessage, IngestOutcome, IngestStats } from '../store/ingest.ts';
import type { ReportStageStats } from '../report/index.ts';
import type { DrainerStats, SpoolStats } from '../store/spool/index.ts';

/** The counters `/metrics` shows (what `hub.stats()` returns). */
export interface StatsView {
  broker?: BrokerStats | undefined;
  ingest?: IngestStats | undefined;
  writer?: WriterStats | undefined;
  spool?: (SpoolStats & { oldestRecordAgeMs: number | null; drainer: DrainerStats }) | undefined;
  deadLetters?: Record<string, number> | undefined;
  deadLetterStore?: DeadLetterStoreStats | undefined;
  kpi?: KpiSchedulerStats | undefined;
  /** The KPI lease among several hubs (src/kpi/lease.ts); absent without `cluster.redisUrl`. */
  kpiLease?: KpiLeaseStats | undefined;
  /** Reports built automatically (src/report/stage.ts). */
  report?: ReportStageStats | undefined;
  /** Inventory reloads by outcome. */
  inventoryReloads?: { ok: number; invalid: number } | undefined;
}

/** Which dead letters a replay takes: `ids`, else those matching the filter. */
export type ReplaySelection = DeadLetterSelection;
export type { ReplayResult } from '../store/ingest-stage.ts';

/** The readiness `/ready` answers (what `hub.ready()` returns; more fields pass through). */
export interface ReadinessView {
  ready: boolean;
  reasons: string[];
}

export interface ApiDeps {
  config: HubConfig;
  inventory: Inventory;
  /** InfluxDB, for the devices, KPI and report routes. */
  conn: InfluxConnection;
  /** Where `POST …/kpis/compute` writes its results. */
  writer: PointWriter;
  logger: Logger;
  /**
   * The broker's verified-credential cache, which the EMQX authentication endpoint shares (hub.ts);
   * absent: the endpoint keeps its own.
   */
  authCache?: AuthCache | undefined;
  /** The hub's clock (epoch ms). */
  now?: () => number;
  hub: {
    ready(): Promise<ReadinessView>;
    stats(): StatsView;
    /** The ingest path of MQTT (normalise, spool, dead letters): resolves once durable. */
    ingest(msg: IngestMessage): Promise<IngestOutcome>;
    /** Stored dead letters, newest first. */
    deadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]>;
    /** Re-run dead letters through the current normalisers; their points go to the spool. */
    replay(selection: ReplaySelection): Promise<ReplayResult[]>;
    /** Reload the inventory (`POST /api/v1/admin/reload`); absent: the route answers 404. */
    reload?(): Promise<ReloadResult>;
  };
}
