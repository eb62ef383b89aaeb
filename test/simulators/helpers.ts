/**
 * A hub built in-process for the simulator tests (src/hub.ts, through test/helpers/hub.ts), with
 * the inventory the simulator writes for its scenario, MQTT on a free loopback port, the run's
 * shared InfluxDB and its own database and data folder. Its clock can be fixed to the scenario's
 * window (docs/contract.md §3's time rules are relative to it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Loaded } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { DeadLetterStore, type DeadLetter } from '../../src/deadletters/store.ts';
import type { Hub, HubDeps } from '../../src/hub.ts';
import { connectInflux, query, type InfluxConnection } from '../../src/store/index.ts';
import { inventoryYaml, scenarioRosters, type Scenario } from '../../simulators/index.ts';
import { drainedWithin, sharedInfluxSection, startTestHub, writeHubFiles, type TestHub } from '../helpers/hub.ts';
import { uniqueName } from '../helpers/influx-shared.ts';

/** A started hub for a scenario. */
export interface SimHub {
  hub: Hub;
  /** The hub's loaded config and inventory. */
  loaded: Loaded;
  url: string;
  /** The HTTP API's base URL (`http://127.0.0.1:<port>`). */
  httpUrl: string;
  dir: string;
  influx: InfluxConnection;
  /** Resolves once every acknowledged message is in InfluxDB (the spool drained), within `ms`. */
  drained(ms?: number): Promise<void>;
  /** Every dead letter the hub kept. */
  deadLetters(): Promise<DeadLetter[]>;
  /** One number from an InfluxQL `SELECT count(…)` (0 when there are no rows). */
  count(q: string): Promise<number>;
  stop(): Promise<void>;
}

/** Options of {@link startSimHub}. */
export interface SimHubOptions {
  /** The hub's clock; default the wall clock. */
  now?: () => number;
  /** Secret hashing for the inventory (default the hub's hashSecret). */
  hash?: (plain: string) => string;
  /** Extra `mqtt` settings. */
  mqtt?: Record<string, unknown>;
  /** Run the hub's KPI scheduler (default true; where the hub has one). */
  kpi?: boolean;
  /** The hub's own series (hub_stats, hub_rejects) every this often (default: the config's). */
  selfStatsInterval?: string;
  /** The `kpi` section of hub.yaml (default the config's defaults). */
  kpiConfig?: Record<string, unknown>;
  /** The KPI scheduler's timers (tests call its ticks and late checks themselves). */
  kpiTimers?: HubDeps['kpiTimers'];
  /** An operator key for the HTTP API (`operatorKey`). */
  operatorKey?: string;
  /** More top-level keys of hub.yaml (e.g. `adminKey`, `evaluation`). */
  extra?: Record<string, unknown>;
}

/** Build and start a hub that knows `scenario`'s community (test/helpers/hub.ts). */
export async function startSimHub(scenario: Scenario, o: SimHubOptions = {}): Promise<SimHub> {
  const files = await writeHubFiles({
    prefix: 'community-sim-',
    inventory: inventoryYaml(scenario, o.hash),
    config: {
      pseudonymKey: 'simulator-test-pseudonym-key-0123456789',
      log: { level: 'silent' },
      mqtt: { rootTopic: scenario.hub.rootTopic, ...o.mqtt },
      influx: sharedInfluxSection(uniqueName('sim')),
      ingest: { maxFutureSkew: scenario.hub.maxFutureSkewMs, maxAge: scenario.hub.maxAgeMs },
      // The scenario's hub settings are the hub's: the ledger's co2e_avoided_kg uses the same factors.
      ...(scenario.hub.co2eFactors ? { evaluation: { co2eFactors: scenario.hub.co2eFactors } } : {}),
      ...(o.kpi === false && 'kpi' in configSchema.shape ? { kpi: { enabled: false } } : {}),
      ...(o.kpiConfig && o.kpi !== false ? { kpi: o.kpiConfig } : {}),
      // Reports are tested in test/report/; here they would only add builds (and Chromium) to the KPI runs.
      report: { auto: false },
      ...(o.selfStatsInterval !== undefined ? { selfStats: { interval: o.selfStatsInterval } } : {}),
      ...(o.operatorKey !== undefined ? { operatorKey: o.operatorKey } : {}),
      ...o.extra,
    },
  });
  // Roster files go beside the inventory (simulators/inventory.ts).
  for (const r of scenarioRosters(scenario)) writeFileSync(join(files.dir, r.file), r.text);
  let started: TestHub;
  try {
    started = await startTestHub(files, {
      logLevel: 'silent',
      ...(o.now ? { now: o.now } : {}),
      ...(o.kpiTimers ? { kpiTimers: o.kpiTimers } : {}),
    });
  } catch (e) {
    await files.remove();
    throw e;
  }
  const { hub, loaded, url } = started;
  const influx = connectInflux({ ...loaded.config.influx });
  return {
    hub,
    loaded,
    url,
    httpUrl: started.httpUrl,
    dir: files.dir,
    influx,
    drained: (ms = 60_000) => drainedWithin(hub, ms),
    async deadLetters() {
      const store = new DeadLetterStore({
        dir: join(loaded.config.dataDir, 'dead-letters'),
        maxBytes: 1e12,
        maxAgeMs: 1e13,
      });
      return store.list({ limit: 1_000_000 });
    },
    async count(q) {
      const rows = await query(influx, q);
      return rows.reduce((a, r) => a + Number(Object.entries(r.values).find(([k]) => k !== 'time')?.[1] ?? 0), 0);
    },
    async stop() {
      await hub.stop();
      await files.remove();
    },
  };
}
