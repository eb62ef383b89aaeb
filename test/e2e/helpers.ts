/**
 * End-to-end helpers: a real hub (`buildHub` on a config loaded from a temporary hub.yaml and
 * inventory.yaml, through test/helpers/hub.ts) listening on loopback, the run's shared InfluxDB
 * (a database of the test file's own), a mutable clock, and readers for what the hub stored:
 * points from InfluxDB over InfluxQL and dead letters from its data directory. Publishing uses the
 * broker tests' helpers (Debian's mosquitto_pub, mqtt.js).
 */
import { join } from 'node:path';
import type { Loaded } from '../../src/config/load.ts';
import { DeadLetterStore, type DeadLetter } from '../../src/deadletters/store.ts';
import type { Hub, HubDeps } from '../../src/hub.ts';
import type { FieldValue, Point } from '../../src/point.ts';
import { hashSecret } from '../../src/secret.ts';
import { connectInflux, InfluxPointWriter, query, quoteIdent, type InfluxConnection } from '../../src/store/index.ts';
import { FIXTURE } from '../helpers/fixtures.ts';
import { drainedWithin, sharedInfluxSection, startTestHub, writeHubFiles, type TestHub } from '../helpers/hub.ts';
import { mosquittoPub, type Message as PubMessage, type Run } from '../broker/helpers.ts';

export const ROOT = 'community/v1';
export { FIXTURE };
/** Plain secrets of the test gateways; hashed once per test file (scrypt is slowish). */
export const SECRETS = Object.freeze({
  'gw-east': 'e2e-east-secret',
  'gw-west': 'e2e-west-secret',
  watcher: 'e2e-watch-secret',
});
const hashed: Partial<Record<keyof typeof SECRETS, string>> = {};
function hashedSecret(account: keyof typeof SECRETS): string {
  return (hashed[account] ??= hashSecret(SECRETS[account]));
}
export const EAST: [string, string] = ['gw-east', SECRETS['gw-east']];
export const WEST: [string, string] = ['gw-west', SECRETS['gw-west']];
/** A read-only observer account (docs/contract.md §2), present when a hub is started with `observer`. */
export const WATCHER: [string, string] = ['watcher', SECRETS.watcher];

/** The hub's clock, set by the test (the fixtures use fixed times around 2026-11-27). */
export interface Clock {
  now: () => number;
  set(at: number | string): void;
}

export function fixedClock(at: number | string = FIXTURE.receivedAt): Clock {
  let t = typeof at === 'string' ? Date.parse(at) : at;
  return {
    now: () => t,
    set(next) {
      t = typeof next === 'string' ? Date.parse(next) : next;
      if (Number.isNaN(t)) throw new Error(`bad clock time ${String(next)}`);
    },
  };
}

/** A device line of the inventory. */
export interface DeviceSpec {
  id: string;
  type: 'waste-bin' | 'access-gate';
  model: string;
  building?: string;
}

export interface HubSpec {
  /** The test file's database (uniqueName); several hubs of one file may share it. */
  database: string;
  /** Devices behind gw-east at maple-court (building b1 exists). gw-west gets `west`. */
  east: DeviceSpec[];
  west?: DeviceSpec[];
  /** Add the observer account WATCHER. */
  observer?: boolean;
  /** Overrides of the `mqtt` section (host 127.0.0.1 and port 0 are set). */
  mqtt?: Record<string, unknown>;
  clock?: Clock;
  /** Run the KPI scheduler with this `kpi` section (default: off, see below). */
  kpi?: Record<string, unknown>;
  /** Build reports automatically with this `report` section (default: off, see below). */
  report?: Record<string, unknown>;
  /** Record the hub's own series with this `selfStats` section (default: off, as the KPIs). */
  selfStats?: Record<string, unknown>;
  /** Overrides of the `http` section (host 127.0.0.1 and port 0 are set). */
  http?: Record<string, unknown>;
  /** Top-level config keys to add (e.g. `adminKey`, `operatorKey`). */
  extra?: Record<string, unknown>;
  /** Wrap the hub's model registry (a test double of a model). */
  models?: HubDeps['models'];
  /** The KPI scheduler's timers (the test calls its ticks and late checks itself). */
  kpiTimers?: HubDeps['kpiTimers'];
  /**
   * An absolute data directory (spool, dead letters, hub.lock) to use instead of the temporary
   * folder's own `data`; the caller owns and removes it (`stop()` leaves it), so several hubs, one
   * after another or at once, can be given the same one.
   */
  dataDir?: string;
}

/** A started hub with what the test needs to drive and read it. */
export interface E2eHub {
  hub: Hub;
  loaded: Loaded;
  port: number;
  url: string;
  /** The HTTP API's port and base URL (http://127.0.0.1:port). */
  httpPort: number;
  httpUrl: string;
  clock: Clock;
  conn: InfluxConnection;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** Stop the hub and remove its temporary folder (not a `dataDir` given in the spec). */
  stop(): Promise<void>;
}

/** Write hub.yaml and inventory.yaml to a new temporary folder, and start a hub on them (test/helpers/hub.ts). */
export async function startHub(spec: HubSpec): Promise<E2eHub> {
  const gateways = [{ id: 'gw-east', secret: hashedSecret('gw-east'), devices: spec.east }];
  if (spec.west) gateways.push({ id: 'gw-west', secret: hashedSecret('gw-west'), devices: spec.west });
  const observers = spec.observer ? [{ username: WATCHER[0], secret: hashedSecret('watcher') }] : [];
  const inventory = {
    sites: [
      {
        id: FIXTURE.site,
        name: '枫林苑',
        households: 1200,
        buildings: [
          { id: 'b1', households: 400 },
          { id: 'b2', households: 800 },
        ],
        gateways,
      },
    ],
  };
  const config = {
    dataDir: spec.dataDir ?? 'data',
    pseudonymKey: FIXTURE.pseudonymKey,
    log: { level: 'info' },
    mqtt: { observers, ...spec.mqtt },
    http: { ...spec.http },
    influx: sharedInfluxSection(spec.database),
    // These tests count every point in InfluxDB; the KPI scheduler's own points would be noise.
    // KPIs are tested in test/kpi/ and the hub's wiring of them in test/e2e/kpi-wiring.test.ts.
    kpi: spec.kpi ?? { enabled: false },
    // Reports that build themselves likewise (test/report/auto.test.ts): files and Chromium runs.
    report: spec.report ?? { auto: false },
    // The hub's own hub_stats / hub_rejects samples likewise (test/e2e/self-stats.test.ts).
    selfStats: spec.selfStats ?? { enabled: false },
    ...spec.extra,
  };
  const files = await writeHubFiles({ config, inventory, prefix: 'hub-e2e-' });
  const clock = spec.clock ?? fixedClock();
  let started: TestHub;
  try {
    started = await startTestHub(files, {
      now: clock.now,
      ...(spec.models ? { models: spec.models } : {}),
      ...(spec.kpiTimers ? { kpiTimers: spec.kpiTimers } : {}),
    });
  } catch (e) {
    await files.remove();
    throw e;
  }
  const { hub, loaded, port, url, httpPort, httpUrl, logs } = started;
  return {
    hub,
    loaded,
    port,
    url,
    httpPort,
    httpUrl,
    clock,
    conn: connectInflux({ ...loaded.config.influx }),
    logs,
    async stop() {
      await hub.stop();
      await files.remove();
    },
  };
}

/** Wait, bounded, until everything the hub acknowledged so far is in InfluxDB (see drainedWithin). */
export async function drained(h: E2eHub, ms = 10_000): Promise<void> {
  await drainedWithin(h.hub, ms);
}

/** The hub's dead-letter store, read from its data directory (newest first). */
export async function deadLetters(h: E2eHub): Promise<DeadLetter[]> {
  const store = new DeadLetterStore({
    dir: join(h.loaded.config.dataDir, 'dead-letters'),
    maxBytes: 2 ** 40,
    maxAgeMs: 2 ** 50,
  });
  return store.list({ limit: 1_000_000 });
}

/** The dead letters stored since `before` was read (the store lists by file hour, so compare ids). */
export async function newDeadLetters(h: E2eHub, before: readonly DeadLetter[]): Promise<DeadLetter[]> {
  const seen = new Set(before.map((dl) => dl.id));
  return (await deadLetters(h)).filter((dl) => !seen.has(dl.id));
}

/** Every point of every measurement of the database, as the hub's Point shape. */
export async function storedPoints(conn: InfluxConnection, where = ''): Promise<Point[]> {
  const rows = await query(conn, `SELECT * FROM /.*/ ${where} GROUP BY *`);
  return rows.map((row) => {
    // A regex FROM unions the columns and tag keys of every measurement: absent ones are null / ''.
    const tags = Object.fromEntries(Object.entries(row.tags).filter(([, v]) => v !== ''));
    const fields: Record<string, FieldValue> = {};
    for (const [k, v] of Object.entries(row.values)) if (k !== 'time' && v !== null) fields[k] = v;
    return { measurement: row.measurement, tags, fields, time: String(row.values.time) };
  });
}

/** Remove every series of the database (field types stay: InfluxDB keeps them per shard). */
export async function wipe(conn: InfluxConnection): Promise<void> {
  await query(conn, 'DROP SERIES FROM /.*/');
}

/** Drop the test file's database (best effort: the managed server is removed at teardown anyway). */
export async function dropDatabase(conn: InfluxConnection): Promise<void> {
  await query(conn, `DROP DATABASE ${quoteIdent(conn.settings.database)}`, { database: '', retentionPolicy: '' }).catch(
    () => undefined,
  );
}

/** Write points straight into InfluxDB with the store's writer (bypassing the hub). */
export async function writeDirect(conn: InfluxConnection, points: Point[]): Promise<void> {
  const writer = new InfluxPointWriter(conn);
  try {
    await writer.write(points);
  } finally {
    await writer.close();
  }
}

/** Points in a canonical order, with each key's tags sorted, for exact comparison. */
export function canonical(points: readonly Point[]): Point[] {
  const sortKeys = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return points
    .map((p) => ({ measurement: p.measurement, tags: sortKeys(p.tags), fields: sortKeys(p.fields), time: p.time }))
    .sort((a, b) => seriesKey(a).localeCompare(seriesKey(b)) || compareNs(a.time, b.time));
}

function seriesKey(p: Pick<Point, 'measurement' | 'tags'>): string {
  const tags = Object.entries(p.tags).sort(([a], [b]) => a.localeCompare(b));
  return `${p.measurement},${tags.map(([k, v]) => `${k}=${v}`).join(',')}`;
}

function compareNs(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** How mosquitto_pub is given its message (the object forms of the broker helpers' `Message`). */
export type Message = Exclude<PubMessage, string>;

/** Debian's mosquitto_pub at QoS 1 (it exits 0 only after the PUBACK), bounded by a timeout. */
export function mosquittoPublish(
  port: number,
  auth: [string, string] | undefined,
  topic: string,
  message: Message,
  more: string[] = [],
): Promise<Run> {
  return mosquittoPub(port, auth, topic, message, more).done;
}

/** The topic of a device channel at the fixture site. */
export function deviceTopic(gateway: string, device: string, channel: 'telemetry' | 'event'): string {
  return `${ROOT}/${FIXTURE.site}/${gateway}/${device}/${channel}`;
}

/** The status topic of a gateway at the fixture site. */
export function statusTopic(gateway: string): string {
  return `${ROOT}/${FIXTURE.site}/${gateway}/status`;
}

/** Nanosecond time string of an ISO time. */
export function ns(iso: string, offsetNs = 0): string {
  return (BigInt(Date.parse(iso)) * 1_000_000n + BigInt(offsetNs)).toString();
}
