/**
 * A month of KPIs for a big site (docs/benchmarks.md): 5,000 households depositing twice a day
 * for a whole month (300,000 `deposit` points, written as line protocol straight into InfluxDB —
 * through the hub it would take as long as the throughput bench says), 50 waste stations; then the
 * KPI computation exactly as the scheduler runs it (`computeKpiSet`, src/kpi/compute.ts: every
 * definition's InfluxQL in one request) for that month, for one week and one day of it; median
 * (min–max) of `--reps` runs (default 3). `npm run bench -- kpi [--households N] [--reps N] [--write-doc]`.
 */
import { performance } from 'node:perf_hooks';
import { Inventory, inventorySchema } from '../src/config/inventory.ts';
import { configSchema } from '../src/config/schema.ts';
import { computeKpiSet, periodOf } from '../src/kpi/index.ts';
import { connectInflux } from '../src/store/index.ts';
import { startInflux } from '../test/helpers/influx.ts';
import type { BenchOptions } from './args.ts';
import { writeDocBlock } from './doc.ts';
import type { Bench } from './harness.ts';
import { formatSpread, spread } from './stats.ts';
import { createDatabase, dropDatabase, writeLines } from './throughput/influx.ts';

const SITE = 'big-estate';
const TZ = 'Asia/Shanghai';
const STATIONS = 50;
/** A whole month that has ended (the periods are complete, as when the scheduler closes them). */
const MONTH = '2026-10-01';
const CATEGORIES = ['kitchen', 'recyclable', 'hazardous', 'residual'];
const log = (s: string): boolean => process.stdout.write(`  ${s}\n`);

/** Line protocol of 2 deposits per household and day of the month, in station order. */
function depositLines(households: number): string[] {
  const month = periodOf('month', MONTH, TZ);
  const days = Math.round((month.endMs - month.startMs) / 86_400_000);
  const lines: string[] = [];
  let id = 0;
  for (let d = 0; d < days; d++) {
    for (let h = 0; h < households; h++) {
      for (let k = 0; k < 2; k++) {
        const station = h % STATIONS;
        // 07:00 and 19:00 local, spread over the hour so no two share a millisecond at a station.
        const ms = month.startMs + d * 86_400_000 + (7 + 12 * k) * 3_600_000 + ((h * 37 + k) % 3_600_000);
        const sorting = (h + d) % 10 === 0 ? 'incorrect' : 'correct';
        const category = CATEGORIES[(h + k) % CATEGORIES.length];
        const household = `px_${h.toString(16).padStart(16, '0')}`;
        lines.push(
          `deposit,site=${SITE},gateway=gw-${station % 10},device=bin-${station},building=none,category=${category},sorting=${sorting},auth=card household="${household}",weight_kg=1.5,event_id="e-${id++}" ${ms}000000`,
        );
      }
    }
  }
  return lines;
}

async function run(options: BenchOptions): Promise<void> {
  const households = options.number('households', 5_000);
  const reps = options.number('reps', 3);
  const external = process.env['HUB_INFLUX_URL'];
  const server = external ? undefined : await startInflux();
  const url = external ?? server!.url;
  const db = `bench_kpi_${Date.now()}`;
  try {
    const lines = depositLines(households);
    const md = [
      `Measured ${new Date().toISOString().slice(0, 16)}Z, ${households.toLocaleString('en')} households × 2 deposits × 31 days, ${STATIONS} stations, median (min–max) of ${reps}.`,
      '',
      '| period | deposits in it | every KPI computed in (ms) |',
      '|---|---|---|',
    ];
    await createDatabase(url, db);
    const seconds = await writeLines(url, db, lines);
    log(
      `${lines.length.toLocaleString('en')} deposits written in ${seconds.toFixed(1)} s (line protocol, 5,000 a request)`,
    );
    const gateways = Array.from({ length: 10 }, (_, g) => ({
      id: `gw-${g}`,
      secret: 'hmac-sha256$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      devices: Array.from({ length: STATIONS / 10 }, (_, i) => ({
        id: `bin-${g + 10 * i}`,
        type: 'waste-bin',
        model: 'generic-v1',
      })),
    }));
    const inventory = new Inventory(
      inventorySchema.parse({ sites: [{ id: SITE, timezone: TZ, households, gateways }] }),
    );
    const config = configSchema.parse({ pseudonymKey: 'k'.repeat(32) }).kpi;
    const conn = connectInflux({ url, database: db });
    for (const [kind, date] of [
      ['month', MONTH],
      ['week', '2026-10-12'],
      ['day', '2026-10-15'],
    ] as const) {
      const ms: number[] = [];
      let coverage = '';
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        const set = await computeKpiSet({ conn, inventory, config }, SITE, kind, date);
        ms.push(performance.now() - t0);
        const first = set.site[0];
        coverage = `${first?.kpi} = ${first?.value}`;
      }
      log(`${kind} of ${date}: ${formatSpread(spread(ms))} ms to compute every KPI (${coverage})`);
      const days = kind === 'month' ? 31 : kind === 'week' ? 7 : 1;
      md.push(`| ${kind} of ${date} | ${(days * 2 * households).toLocaleString('en')} | ${formatSpread(spread(ms))} |`);
    }
    process.stdout.write(`\n${md.join('\n')}\n`);
    if (options.flag('write-doc')) writeDocBlock('kpi', md.join('\n'));
  } finally {
    await dropDatabase(url, db).catch(() => undefined);
    await server?.destroy();
  }
}

const bench: Bench = {
  title: 'a month of KPIs for a 5,000-household site with 2 deposits per household and day (300,000 deposits)',
  run,
};

export default bench;
