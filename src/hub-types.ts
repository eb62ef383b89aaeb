/**
 * The hub's public shape: what `buildHub` (src/hub.ts) returns and the stats and readiness it
 * reports. Part of the wiring layer (it names every stage's stats), kept apart so hub.ts holds
 * only the wiring itself.
 */
import type { ReplayResult, ReplaySelection } from './api/deps.ts';
import type { BrokerPorts, BrokerStats } from './broker/index.ts';
import type { DeadLetter, DeadLetterFilter, DeadLetterStoreStats } from './deadletters/store.ts';
import type { KpiSchedulerDeps, KpiSchedulerStats } from './kpi/index.ts';
import type { KpiLeaseStats } from './kpi/lease.ts';
import type { Logger } from './log.ts';
import type { ModelLookup } from './normalise/index.ts';
import type { ReportStageStats } from './report/stage.ts';
import type { WriterStats } from './store/index.ts';
import type { IngestMessage, IngestOutcome, IngestStats } from './store/ingest.ts';
import type { SelfStatsCounts } from './store/self-stats.ts';
import type { SpoolView } from './store/spool/stage.ts';
import type { ReloadResult } from './config/live-inventory.ts';

/** The spool as `/metrics` and `/ready` show it (src/store/spool/stage.ts). */
export type HubSpoolStats = SpoolView;

/** What the future `GET /ready` answers (docs/contract.md §6). */
export interface Readiness {
  /** True when the hub takes and acknowledges messages now. */
  ready: boolean;
  /** Why not, one phrase each; empty when ready. */
  reasons: string[];
  broker: { listening: boolean };
  /**
   * Reported, but not a reason to be unready: while InfluxDB is away the spool keeps every
   * acknowledged message, so the hub can still take data (it is unready once the spool is full).
   */
  influx: { reachable: boolean; version?: string; error?: string };
  spool: HubSpoolStats | undefined;
  /** With `cluster.redisUrl`: whether this hub holds the KPI lease (never a reason to be unready). */
  kpiLease?: KpiLeaseStats;
}

/** Counters of every stage (`/metrics` reads them); a stage not started yet is absent. */
export interface HubStats {
  broker: BrokerStats | undefined;
  ingest: IngestStats | undefined;
  /** The drainer's writer: every ingest point goes to InfluxDB through it. */
  writer: WriterStats | undefined;
  spool: HubSpoolStats | undefined;
  /** The KPI scheduler's runs; absent when `kpi.enabled` is false. */
  kpi: KpiSchedulerStats | undefined;
  /** The reports built automatically; absent when `kpi.enabled` or `report.auto` is false. */
  report?: ReportStageStats | undefined;
  /** The KPI lease; absent without `cluster.redisUrl` (or `kpi.enabled` false). */
  kpiLease?: KpiLeaseStats | undefined;
  /** Dead letters stored, by reason. */
  deadLetters: Record<string, number>;
  /** The dead-letter store's files, writes, bound removals and errors. */
  deadLetterStore: DeadLetterStoreStats;
  /** The sampler of the hub's own series (`hub_stats`); absent when `selfStats.enabled` is false. */
  selfStats: SelfStatsCounts | undefined;
  /** Inventory reloads since start, by outcome (`hub_inventory_reloads_total{result}`). */
  inventoryReloads: { ok: number; invalid: number };
}

/** The ports a started hub bound: MQTT (and TLS, WebSocket) and the HTTP API. */
export interface HubPorts extends BrokerPorts {
  http: number;
}

/** A built hub. */
export interface Hub {
  /** Start every stage; resolves with the bound ports once the broker and the HTTP API listen. */
  start(): Promise<HubPorts>;
  /** Stop accepting, finish what is in flight, close InfluxDB writes. Safe to call twice. */
  stop(): Promise<void>;
  /** Counters of every stage, for logs, tests and /metrics; `spool` is a {@link HubSpoolStats}. */
  stats(): HubStats;
  /** Broker listening, spool taking messages, InfluxDB reachable (pinged): for `/ready`. */
  ready(): Promise<Readiness>;
  /**
   * Resolves once every message acknowledged so far is in InfluxDB (or kept as a dead letter). A
   * PUBACK means "on disk in the spool", and the drainer writes it moments later: whoever reads
   * InfluxDB right after publishing waits for this first. Never resolves while InfluxDB is away
   * (bound the wait); rejects if the hub stops first.
   */
  drained(): Promise<void>;
  /** The MQTT ingest path, for HTTP ingest: resolves once the message is durable. */
  ingest(msg: IngestMessage): Promise<IngestOutcome>;
  /** Stored dead letters matching `filter`, newest first. */
  deadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]>;
  /** Re-run the selected dead letters through the current normalisers (see Ingest.replay). */
  replay(selection: ReplaySelection): Promise<ReplayResult[]>;
  /**
   * Load the inventory file again with the loader of the start, check it as the start does, and put
   * it in force for every stage at once; gateways no longer in it are disconnected (SIGHUP,
   * `POST /api/v1/admin/reload`). An invalid file changes nothing: rejects `HUB_ERR_INVENTORY_INVALID`
   * naming the problem. Rejects `HUB_ERR_WRITER_CLOSED` while the hub is not running.
   */
  reload(): Promise<ReloadResult>;
}

export interface HubDeps {
  logger: Logger;
  /** The hub's clock (tests fix it). */
  now?: () => number;
  /** The KPI scheduler's timers (tests drive its ticks and late checks); default node-cron and setInterval. */
  kpiTimers?: Pick<KpiSchedulerDeps, 'schedule' | 'every'>;
  /** Wrap the model registry (tests swap a model for a double); the registry itself by default. */
  models?: (registry: ModelLookup) => ModelLookup;
}
