/**
 * Helpers of the durability tests: a hub's files in a temporary folder (one gateway, one waste
 * bin), a hub started in this process, captured logs, what the spool holds on disk, and what
 * InfluxDB holds, counted by event id. The hub as a child process is in hub-process.ts, the
 * publisher in publisher.ts.
 */
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { loadConfig, type Loaded } from '../../src/config/load.ts';
import { buildHub, type Hub } from '../../src/hub.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { hashSecret } from '../../src/secret.ts';
import { connectInflux, query, type InfluxConnection } from '../../src/store/index.ts';
import { SegmentReader, type ReadRecord } from '../../src/store/spool/reader.ts';
import type { SpoolRecord } from '../../src/store/spool/index.ts';

export const GATEWAY = 'gw-east';
export const SECRET = 'durability-east-secret';
export const TOPIC = `community/v1/maple-court/${GATEWAY}/bin-01/event`;
let hashed: string | undefined;

/** A logger whose JSON lines are kept, parsed, in `lines`. */
export function captureLogs(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

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
}

/** The hub's files: `<dir>/hub.yaml`, `<dir>/inventory.yaml`, data in `<dir>/data`. */
export interface HubFiles {
  dir: string;
  configPath: string;
  spoolDir: string;
}

/** Writes hub.yaml and inventory.yaml; short retry delays so an outage heals quickly in tests. */
export async function writeHubFiles(spec: HubFilesSpec): Promise<HubFiles> {
  const dir = spec.dir ?? (await mkdtemp(join(tmpdir(), 'hub-durability-')));
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
    inventory: 'inventory.yaml',
    dataDir: 'data',
    pseudonymKey: 'durability-pseudonym-key-0123456789',
    log: { level: 'info' },
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
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
  };
  await writeFile(join(dir, 'inventory.yaml'), stringify(inventory));
  await writeFile(join(dir, 'hub.yaml'), stringify(config));
  return { dir, configPath: join(dir, 'hub.yaml'), spoolDir: join(dir, 'data', 'spool') };
}

/** A hub built and started in this process. */
export interface LocalHub {
  hub: Hub;
  loaded: Loaded;
  port: number;
  url: string;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Loads `files` with an empty environment (no HUB_* of the developer leaks in) and starts a hub. */
export async function startLocalHub(files: HubFiles): Promise<LocalHub> {
  const loaded = loadConfig({ configPath: files.configPath, env: {}, cwd: files.dir });
  const { logger, lines } = captureLogs();
  const hub = buildHub(loaded, { logger });
  const { port } = await hub.start();
  return { hub, loaded, port, url: `mqtt://127.0.0.1:${port}`, logs: lines, stop: () => hub.stop() };
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
    r.points.filter((p) => p.measurement === 'deposit').map((p) => String(p.fields.event_id)),
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

/** `e-<i>` for each i. */
export function eventIds(indices: Iterable<number>): Set<string> {
  return new Set([...indices].map((i) => `e-${i}`));
}

/**
 * `hub.drained()`, bounded: it never resolves while the drainer cannot get there, so after `ms`
 * it fails with the spool's and the drainer's state (what is left, where the drainer is, why).
 */
export async function drainedWithin(hub: Hub, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `timed out after ${ms} ms waiting for the spool to be drained; spool: ${JSON.stringify(hub.stats().spool)}`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([hub.drained(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls the async `check` until it is true, for at most `ms` (a bounded wait, no timing claim). */
export async function pollUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
