/**
 * A hub built in-process for the simulator tests (src/hub.ts), with the inventory the simulator
 * writes for its scenario, MQTT on a free loopback port, the run's shared InfluxDB and its own
 * database and data folder. Its clock can be fixed to the scenario's window (docs/contract.md §3's
 * time rules are relative to it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Loaded } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { DeadLetterStore, type DeadLetter } from '../../src/deadletters/store.ts';
import { buildHub, type Hub } from '../../src/hub.ts';
import { createLogger } from '../../src/log.ts';
import { connectInflux, query, type InfluxConnection } from '../../src/store/index.ts';
import { inventoryYaml, scenarioRosters, type Scenario } from '../../simulators/index.ts';
import { sharedInflux, uniqueName } from '../helpers/influx-shared.ts';

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
  /** An operator key for the HTTP API (`operatorKey`). */
  operatorKey?: string;
}

/** Build and start a hub that knows `scenario`'s community. */
export async function startSimHub(scenario: Scenario, o: SimHubOptions = {}): Promise<SimHub> {
  const dir = mkdtempSync(join(tmpdir(), 'community-sim-'));
  const { url, token, username, password } = sharedInflux();
  const database = uniqueName('sim');
  writeFileSync(join(dir, 'inventory.yaml'), inventoryYaml(scenario, o.hash));
  for (const r of scenarioRosters(scenario)) writeFileSync(join(dir, r.file), r.text);
  writeFileSync(
    join(dir, 'hub.yaml'),
    stringify({
      inventory: 'inventory.yaml',
      dataDir: 'data',
      pseudonymKey: 'simulator-test-pseudonym-key-0123456789',
      log: { level: 'silent' },
      mqtt: { host: '127.0.0.1', port: 0, rootTopic: scenario.hub.rootTopic, ...o.mqtt },
      http: { host: '127.0.0.1', port: 0 },
      influx: { url, database, ...(token ? { token } : {}), ...(username ? { username, password } : {}) },
      ingest: { maxFutureSkew: scenario.hub.maxFutureSkewMs, maxAge: scenario.hub.maxAgeMs },
      ...(o.kpi === false && 'kpi' in configSchema.shape ? { kpi: { enabled: false } } : {}),
      ...(o.selfStatsInterval !== undefined ? { selfStats: { interval: o.selfStatsInterval } } : {}),
      ...(o.operatorKey !== undefined ? { operatorKey: o.operatorKey } : {}),
    }),
  );
  const loaded = loadConfig({ configPath: join(dir, 'hub.yaml'), env: {} });
  const hub = buildHub(loaded, { logger: createLogger('silent'), ...(o.now ? { now: o.now } : {}) });
  const ports = await hub.start();
  const influx = connectInflux({ ...loaded.config.influx });
  return {
    hub,
    loaded,
    url: `mqtt://127.0.0.1:${ports.port}`,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    dir,
    influx,
    async drained(ms = 60_000) {
      // A PUBACK means "in the spool"; the drainer writes InfluxDB moments later (src/hub.ts).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`the hub's spool did not drain within ${ms} ms`)), ms)),
      );
      try {
        await Promise.race([hub.drained(), late]);
      } finally {
        clearTimeout(timer);
      }
    },
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
