/**
 * Monitoring reports (docs/contract.md §5) at a realistic size: a month (October
 * 2026, Asia/Shanghai) of a 5,000-household site with 40 waste stations and 10 gates, in a private
 * InfluxDB started for the run (or `HUB_INFLUX_URL`, 1.x without auth): ~60k deposits, hourly
 * heartbeats and bin levels for every device, ~5 access attempts a gate-hour, overflow and security
 * alarms, and 1,000 dead letters. It times
 * - the baseline: one `SELECT COUNT(*) FROM "deposit"` over the same month,
 * - `computeKpis` for the month,
 * - the whole report: `gatherReport` (KPIs of the month and the one before, the device queries,
 *   the dead letters) and rendering JSON, Markdown and HTML,
 * - rendering alone.
 * Medians of 5 runs. `npm run bench -- report`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Inventory, inventorySchema } from '../src/config/inventory.ts';
import { configSchema } from '../src/config/schema.ts';
import { DeadLetterStore } from '../src/deadletters/store.ts';
import { computeKpis, periodOf } from '../src/kpi/index.ts';
import { nsFromMs, type Point } from '../src/point.ts';
import { hashSecret } from '../src/secret.ts';
import { gatherReport, REPORT_FORMATS, renderReport, type ReportData } from '../src/report/index.ts';
import { connectInflux, ensureDatabase, InfluxPointWriter, query } from '../src/store/index.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { median, printTable, type Bench } from './harness.ts';

const SITE = 'bench-site';
const TZ = 'Asia/Shanghai';
const HOUSEHOLDS = 5_000;
const BINS = 40;
const GATES = 10;
const DEPOSITS = 60_000;
const RUNS = 5;
const HOUR = 3_600_000;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bins = Array.from({ length: BINS }, (_, i) => `bin-${String(i + 1).padStart(2, '0')}`);
const gates = Array.from({ length: GATES }, (_, i) => `gate-${String(i + 1).padStart(2, '0')}`);

/** Every point of the month, in chunks (the writer's queue is bounded). */
function* monthOfPoints(startMs: number, endMs: number): Generator<Point[]> {
  const rnd = random(42);
  let sub = 0;
  const t = (ms: number): string => nsFromMs(ms, (sub = (sub + 1) % 1_000_000));
  const tags = (device: string, type: string): Record<string, string> => ({
    site: SITE,
    gateway: 'gw-1',
    device,
    building: 'none',
    device_type: type,
  });
  const span = endMs - startMs;
  let chunk: Point[] = [];
  const push = function* (p: Point): Generator<Point[]> {
    chunk.push(p);
    if (chunk.length >= 20_000) {
      yield chunk;
      chunk = [];
    }
  };
  for (let i = 0; i < DEPOSITS; i++) {
    const r = rnd();
    const sorting = r < 0.85 ? 'correct' : r < 0.95 ? 'incorrect' : 'unchecked';
    // 4% of the households never deposit: coverage lands near 0.95.
    const household = `px_${Math.floor(rnd() * HOUSEHOLDS * 0.96)
      .toString(16)
      .padStart(16, '0')}`;
    yield* push({
      measurement: 'deposit',
      tags: { ...tags(bins[i % BINS]!, 'waste-bin'), category: 'kitchen', sorting, auth: 'card' },
      fields: { household, weight_kg: 1 + rnd(), event_id: `d-${i}` },
      time: t(startMs + Math.floor(rnd() * span)),
    });
  }
  let ev = 0;
  for (let h = startMs; h < endMs; h += HOUR) {
    for (const [k, bin] of bins.entries()) {
      // bin-40 is broken the last week: silent; the others report every hour.
      if (k === BINS - 1 && h > endMs - 7 * 24 * HOUR) continue;
      const fill = (((h - startMs) / HOUR + k * 7) % 48) * 2.1;
      yield* push({
        measurement: 'device_health',
        tags: tags(bin, 'waste-bin'),
        fields: { heartbeat: true },
        time: t(h + k * 1000),
      });
      yield* push({
        measurement: 'bin_level',
        tags: { ...tags(bin, 'waste-bin'), category: 'kitchen' },
        fields: { fill_pct: Math.min(100, fill) },
        time: t(h + k * 1000 + 1),
      });
      if (fill >= 98 && rnd() < 0.5)
        yield* push({
          measurement: 'alarm',
          tags: { ...tags(bin, 'waste-bin'), alarm: 'overflow', severity: 'warning' },
          fields: { event_id: `a-${ev++}` },
          time: t(h + 5000),
        });
    }
    for (const gate of gates) {
      yield* push({
        measurement: 'device_health',
        tags: tags(gate, 'access-gate'),
        fields: { heartbeat: true },
        time: t(h + 2000),
      });
      for (let a = 0; a < 5; a++) {
        const result = rnd() < 0.05 ? 'denied' : 'granted';
        yield* push({
          measurement: 'access',
          tags: { ...tags(gate, 'access-gate'), result, method: 'card', direction: 'in', subject: 'resident' },
          fields: { event_id: `g-${ev++}` },
          time: t(h + Math.floor(rnd() * HOUR)),
        });
      }
      if (rnd() < 0.01) {
        const kind = ['forced_open', 'tailgating', 'climbing'][Math.floor(rnd() * 3)]!;
        yield* push({
          measurement: 'alarm',
          tags: { ...tags(gate, 'access-gate'), alarm: kind, severity: 'critical' },
          fields: { event_id: `s-${ev++}` },
          time: t(h + 1234),
        });
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; last: T }> {
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), last: last as T };
}

const bench: Bench = {
  title: 'monitoring report of a month, 5,000 households: computeKpis and gather + render vs one COUNT(*)',
  async run() {
    const external = process.env['HUB_INFLUX_URL'];
    const server = external ? undefined : await startInflux();
    const dir = await mkdtemp(join(tmpdir(), 'hub-bench-report-'));
    try {
      const conn = connectInflux({
        url: external ?? server!.url,
        database: 'bench_report',
        batchSize: 5000,
        maxBatchesInFlight: 4,
        maxQueuedPoints: 100_000,
      });
      await ensureDatabase(conn);
      const devices = [
        ...bins.map((id) => ({ id, type: 'waste-bin', model: 'generic-v1' })),
        ...gates.map((id) => ({ id, type: 'access-gate', model: 'generic-v1' })),
      ];
      const inventory = new Inventory(
        inventorySchema.parse({
          sites: [
            {
              id: SITE,
              timezone: TZ,
              households: HOUSEHOLDS,
              gateways: [{ id: 'gw-1', secret: hashSecret('bench-gateway-secret'), devices }],
            },
          ],
        }),
      );
      const hubConfig = configSchema.parse({ pseudonymKey: 'bench-pseudonym-key-0123456789' });
      const config = hubConfig.kpi;
      const month = periodOf('month', '2026-10-01', TZ);

      const t0 = performance.now();
      const writer = new InfluxPointWriter(conn);
      let count = 0;
      for (const chunk of monthOfPoints(month.startMs, month.endMs)) {
        await writer.write(chunk);
        count += chunk.length;
      }
      await writer.close();
      const deadLetters = new DeadLetterStore({
        dir: join(dir, 'dead-letters'),
        maxBytes: 1 << 30,
        maxAgeMs: 2 ** 50,
        fsync: false,
      });
      await deadLetters.start();
      const reasons = ['schema', 'bad_json', 'clock_skew', 'unknown_device'];
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          deadLetters.add({
            topic: `community/v1/${SITE}/gw-1/bin-01/event`,
            site: SITE,
            receivedAt: month.startMs + i * 2_600_000,
            payload: Buffer.from('{"x":'),
            rejects: [{ reason: reasons[i % 4]!, detail: '' }],
          }),
        ),
      );
      process.stdout.write(
        `  data: ${count} points and 1000 dead letters written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );

      const range = `time >= ${BigInt(month.startMs) * 1_000_000n} AND time < ${BigInt(month.endMs) * 1_000_000n}`;
      const base = await timed(() =>
        query(conn, `SELECT COUNT(*) FROM "deposit" WHERE "site" = '${SITE}' AND ${range}`),
      );
      const kpis = await timed(() => computeKpis({ conn, inventory, config }, SITE, 'month', '2026-10-01'));
      const deps = { conn, inventory, config, report: hubConfig.report, deadLetters };
      const render = (r: ReportData): number => REPORT_FORMATS.reduce((n, f) => n + renderReport(r, f).length, 0);
      const whole = await timed(async () => {
        const r = await gatherReport(deps, SITE, 'month', '2026-10-01');
        return { r, bytes: render(r) };
      });
      const renderOnly = await timed(async () => render(whole.last.r));
      printTable(
        [
          { label: 'SELECT COUNT(*) deposits of the month (baseline)', value: base.ms, unit: 'ms' },
          { label: 'computeKpis, month', value: kpis.ms, unit: 'ms' },
          {
            label: 'report: gather (2 months of KPIs, devices, dead letters) + render 3 formats',
            value: whole.ms,
            unit: 'ms',
          },
          { label: 'render JSON + Markdown + HTML only', value: renderOnly.ms, unit: 'ms' },
        ],
        base.ms,
        'COUNT(*)',
      );
      const r = whole.last.r;
      const coverage = r.kpis[0]!;
      process.stdout.write(
        `    coverage ${coverage.numerator}/${coverage.denominator} met=${coverage.met}; silent longest ${r.silentDevices[0]?.device} (${r.silentDevices[0]?.silentHours} h); ` +
          `${r.fullBins.length} full bins listed, ${r.alarmingGates.length} gates; ${r.dataQuality.deadLetters} dead letters; ${whole.last.bytes} bytes rendered\n`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server?.destroy();
    }
  },
};

export default bench;
