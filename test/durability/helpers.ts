/**
 * Helpers of the durability tests: what goes into a hub's files (one gateway, one waste bin; the
 * files and the hub, in this process or as a child process, come from test/helpers/hub.ts and
 * hub-process.ts), what the spool holds on disk, and what InfluxDB holds, counted by event id. The
 * publisher is in publisher.ts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hashSecret } from '../../src/secret.ts';
import { connectInflux, parseLines, query, type InfluxConnection } from '../../src/store/index.ts';
import { expect } from 'vitest';
import { SegmentReader, type ReadRecord } from '../../src/store/spool/reader.ts';
import type { QuarantineSidecar, SpoolRecord } from '../../src/store/spool/index.ts';
import {
  captureLogs,
  drainedWithin,
  startTestHub,
  writeHubFiles as writeFiles,
  type HubFiles,
  type TestHub,
} from '../helpers/hub.ts';

export { captureLogs, drainedWithin, type HubFiles };

export const GATEWAY = 'gw-east';
export const SECRET = 'durability-east-secret';
export const TOPIC = `community/v1/maple-court/${GATEWAY}/bin-01/event`;
let hashed: string | undefined;

/** Settings of a test hub. */
export interface HubFilesSpec {
  influxUrl: string;
  database: string;
  /** Overrides of the `spool` section. */
  spool?: Record<string, unknown>;
  /** Overrides of the `influx` section. */
  influx?: Record<string, unknown>;
  shutdownTimeout?: string;
  /** An existing folder to write to (same data directory as an earlier hub). */
  dir?: string;
  /** Top-level config keys to add (e.g. `operatorKey`, `adminKey`). */
  extra?: Record<string, unknown>;
}

/** Writes hub.yaml and inventory.yaml; short retry delays so an outage heals quickly in tests. */
export async function writeHubFiles(spec: HubFilesSpec): Promise<HubFiles> {
  hashed ??= hashSecret(SECRET);
  const inventory = {
    sites: [
      {
        id: 'maple-court',
        households: 100,
        gateways: [
          { id: GATEWAY, secret: hashed, devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] },
        ],
      },
    ],
  };
  const config = {
    pseudonymKey: 'durability-pseudonym-key-0123456789',
    log: { level: 'info' },
    influx: {
      url: spec.influxUrl,
      database: spec.database,
      minRetryDelayMs: 50,
      maxRetryDelayMs: 500,
      requestTimeoutMs: 2000,
      ...spec.influx,
    },
    spool: { ...spec.spool },
    shutdown: { timeout: spec.shutdownTimeout ?? '10s' },
    // These tests count every point in InfluxDB; the KPI scheduler's own points would be noise.
    // KPIs are tested in test/kpi/ and the hub's wiring of them in test/e2e/kpi-wiring.test.ts.
    kpi: { enabled: false },
    // The spool-full test counts the spool's records as acknowledged messages: a hub_stats sample
    // is a record too (every 15 s). Self stats are tested in test/e2e/self-stats.test.ts.
    selfStats: { enabled: false },
    ...spec.extra,
  };
  return writeFiles({ config, inventory, prefix: 'hub-durability-', ...(spec.dir ? { dir: spec.dir } : {}) });
}

/** A hub built and started in this process (test/helpers/hub.ts). */
export type LocalHub = TestHub;

/** Loads `files` with an empty environment (no HUB_* of the developer leaks in) and starts a hub. */
export function startLocalHub(files: HubFiles): Promise<LocalHub> {
  return startTestHub(files);
}

/** The JSON payload of deposit event `i` (id `e-<i>`), stamped now. */
export function depositEvent(i: number): string {
  return JSON.stringify({
    id: `e-${i}`,
    ts: new Date().toISOString(),
    type: 'deposit',
    household: `H-${i % 50}`,
    category: 'kitchen',
    weight: 1.5,
    sorting: 'correct',
    auth: 'card',
  });
}

/** Every frame of every segment file in `spoolDir`, oldest first (damage ignored). */
export async function spooledFrames(spoolDir: string): Promise<(ReadRecord & { file: string })[]> {
  const names = (await readdir(spoolDir).catch(() => [] as string[])).filter((n) => n.endsWith('.wal')).sort();
  const out: (ReadRecord & { file: string })[] = [];
  for (const name of names) {
    const file = join(spoolDir, name);
    const reader = new SegmentReader(file);
    try {
      const { size } = await stat(file);
      const opened = await reader.open(size);
      if (!('start' in opened)) continue;
      for (let at = opened.start; at < size;) {
        const chunk = await reader.read(at, size, { points: 1e9, bytes: 1e9 });
        out.push(...chunk.records.map((r) => ({ ...r, file })));
        at = chunk.next;
      }
    } finally {
      await reader.close();
    }
  }
  return out;
}

/** Every record on disk in `spoolDir`. */
export async function spooledRecords(spoolDir: string): Promise<SpoolRecord[]> {
  return (await spooledFrames(spoolDir)).map((f) => f.record);
}

/** Event ids of the deposit points on disk in `spoolDir`. */
export async function spooledEventIds(spoolDir: string): Promise<Set<string>> {
  const ids = (await spooledRecords(spoolDir)).flatMap((r) =>
    parseLines(r.lines)
      .filter((p) => p.measurement === 'deposit')
      .map((p) => String(p.fields.event_id)),
  );
  return new Set(ids);
}

/** What InfluxDB holds of the deposit events: rows, and distinct event ids. */
export async function storedEvents(conn: InfluxConnection): Promise<{ rows: number; ids: Set<string> }> {
  const rows = await query<{ event_id: string }>(conn, 'SELECT event_id FROM deposit').catch((e: Error) => {
    if (/database not found/.test(e.message)) return [];
    throw e;
  });
  return { rows: rows.length, ids: new Set(rows.map((r) => r.values.event_id)) };
}

/** A connection for reading the test's database. */
export function influxAt(url: string, database: string): InfluxConnection {
  return connectInflux({ url, database });
}

/** What `<dataDir>/quarantine/` holds: each stretch's bytes and sidecar, by segment and offset. */
export async function quarantined(
  dataDir: string,
): Promise<{ name: string; bytes: Buffer; sidecar: QuarantineSidecar }[]> {
  const dir = join(dataDir, 'quarantine');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  // Pairs only: no temporary file left, no copy without its sidecar.
  expect(names.filter((n) => !/^seg-\d{16}-\d{12}-[0-9a-f]{16}\.(bin|json)$/.test(n))).toEqual([]);
  expect(names.filter((n) => n.endsWith('.json'))).toHaveLength(names.length / 2);
  const out: { name: string; bytes: Buffer; sidecar: QuarantineSidecar }[] = [];
  for (const name of names.filter((n) => n.endsWith('.bin'))) {
    const sidecar = JSON.parse(await readFile(join(dir, name.replace(/\.bin$/, '.json')), 'utf8')) as QuarantineSidecar;
    out.push({ name, bytes: await readFile(join(dir, name)), sidecar });
  }
  return out.sort((a, b) => a.sidecar.segment.localeCompare(b.sidecar.segment) || a.sidecar.offset - b.sidecar.offset);
}

/** The value of the sample line `sample` (name and labels) of `/metrics` on `httpUrl`. */
export async function metric(httpUrl: string, key: string, sample: string): Promise<number | undefined> {
  const r = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  expect(r.status).toBe(200);
  const line = (await r.text()).split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** `e-<i>` for each i. */
export function eventIds(indices: Iterable<number>): Set<string> {
  return new Set([...indices].map((i) => `e-${i}`));
}
