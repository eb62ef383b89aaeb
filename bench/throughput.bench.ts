/**
 * Head to head (docs/benchmarks.md): the raw ceiling (the hub's line protocol straight into
 * InfluxDB), the hub as a separate process, and the peer (tuned Mosquitto + a ~40-line mqtt.js
 * subscriber writing with the official client, bench/peers/), all under the same load generator
 * (bench/throughput/loadgen.ts, its own process) and judged by the points counted in InfluxDB
 * afterwards. Loads: 4 gateways × 25 bins with 500 unacknowledged each ("busy") and 200 gateways ×
 * 1 bin with 10 each ("many"); latency at half the hub's (and the peer's) flat-out rate.
 * `npm run bench -- throughput [--reps N] [--seconds S] [--latency-seconds S] [--write-doc] [--no-peer]
 * [--no-external]`; the last two hub series run in external broker mode behind Mosquitto, one hub
 * then two in one share group.
 */
import { startInflux } from '../test/helpers/influx.ts';
import type { BenchOptions } from './args.ts';
import { writeDocBlock } from './doc.ts';
import type { Bench } from './harness.ts';
import { spread } from './stats.ts';
import { ceilingRate, workloadLines } from './throughput/ceiling.ts';
import { dropDatabase } from './throughput/influx.ts';
import { ensurePeerInstalled } from './throughput/procs.ts';
import { machineLine, report, type Series } from './throughput/report.ts';
import {
  flatOut,
  latencyAt,
  startExternalHubs,
  startHub,
  startPeerSet,
  type Contender,
  type RunResult,
} from './throughput/runs.ts';
import type { Workload } from './throughput/workload.ts';

export const LOADS: Record<string, Workload> = {
  'busy: 4 gw × 25 bins, window 500': { gateways: 4, binsPerGateway: 25, window: 500 },
  'many: 200 gw × 1 bin, window 10': { gateways: 200, binsPerGateway: 1, window: 10 },
};
const BUSY = Object.values(LOADS)[0]!;
const CEILING_MESSAGES = 100_000;

const log = (s: string): boolean => process.stdout.write(`  ${s}\n`);
const k = (v: number): string => Math.round(v).toLocaleString('en');

/** `reps` flat-out runs of one contender, each on a fresh process set and database. */
async function series(
  name: string,
  start: (db: string) => Promise<Contender>,
  influxUrl: string,
  load: string,
  reps: number,
  seconds: number,
): Promise<Series> {
  const runs: RunResult[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const db = `bench_${name}_${rep}_${Date.now()}`;
    const c = await start(db);
    try {
      const r = await flatOut(c, influxUrl, db, LOADS[load]!, seconds);
      log(
        `${name}, ${load}, rep ${rep + 1}: ${k(r.storedRate)} msg/s stored, ${k(r.ackRate)} acked, ${r.cpuUsPerMsg.toFixed(0)} µs CPU/msg, ${r.peakMiB.toFixed(0)} MiB peak, ${r.acked - r.stored} lost`,
      );
      runs.push(r);
    } finally {
      await c.stop();
      await dropDatabase(influxUrl, db);
    }
  }
  return { contender: name, load, runs };
}

/** Latency at `rate` msg/s of one contender under the busy load. */
async function latency(
  name: string,
  start: (db: string) => Promise<Contender>,
  influxUrl: string,
  rate: number,
  seconds: number,
) {
  const db = `bench_latency_${name}_${Date.now()}`;
  const c = await start(db);
  try {
    const samples = await latencyAt(c, influxUrl, db, BUSY, rate, seconds);
    log(`${name}, latency at ${k(rate)} msg/s: ${samples.length} samples`);
    return { contender: name, rate, samples };
  } finally {
    await c.stop();
    await dropDatabase(influxUrl, db);
  }
}

async function run(options: BenchOptions): Promise<void> {
  const reps = options.number('reps', 3);
  const seconds = options.number('seconds', 10);
  const withPeer = !options.flag('no-peer');
  // The probe takes one sample per publish-to-queryable wait (about 0.2–1 s): 30 s gives enough
  // samples for a p99 that is not just the worst one.
  const latencySeconds = options.number('latency-seconds', 30);
  const external = process.env['HUB_INFLUX_URL'];
  const server = external ? undefined : await startInflux();
  const influxUrl = external ?? server!.url;
  try {
    const lines = await workloadLines(BUSY, CEILING_MESSAGES);
    const ceiling: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const db = `bench_ceiling_${rep}_${Date.now()}`;
      ceiling.push(await ceilingRate(influxUrl, db, lines).finally(() => dropDatabase(influxUrl, db)));
      log(`ceiling, rep ${rep + 1}: ${k(ceiling.at(-1)!)} msg/s`);
    }
    const hub = (db: string): Promise<Contender> => startHub(influxUrl, db, BUSY);
    const all: Series[] = [];
    const latencies = [];
    for (const load of Object.keys(LOADS)) {
      const w = LOADS[load]!;
      all.push(await series('hub', (db) => startHub(influxUrl, db, w), influxUrl, load, reps, seconds));
    }
    latencies.push(
      await latency('hub', hub, influxUrl, spread(all[0]!.runs.map((r) => r.storedRate)).median / 2, latencySeconds),
    );
    if (withPeer) {
      ensurePeerInstalled();
      const peer = (db: string): Promise<Contender> => startPeerSet(influxUrl, db);
      const peers: Series[] = [];
      for (const load of Object.keys(LOADS)) peers.push(await series('peer', peer, influxUrl, load, reps, seconds));
      all.push(...peers);
      latencies.push(
        await latency(
          'peer',
          peer,
          influxUrl,
          spread(peers[0]!.runs.map((r) => r.storedRate)).median / 2,
          latencySeconds,
        ),
      );
    }
    if (!options.flag('no-external')) {
      // Scale-out (docs/operations.md, "Behind an external broker"): one and two hubs behind the
      // same tuned Mosquitto, busy load; the ratio says what a second hub adds.
      ensurePeerInstalled();
      const busy = Object.keys(LOADS)[0]!;
      for (const n of [1, 2])
        all.push(
          await series(
            `${n} hub${n > 1 ? 's' : ''} behind Mosquitto`,
            (db) => startExternalHubs(influxUrl, db, BUSY, n),
            influxUrl,
            busy,
            reps,
            seconds,
          ),
        );
    }
    const md = report({ machine: machineLine(reps, seconds), ceiling, series: all, latency: latencies });
    process.stdout.write(`\n${md}\n`);
    if (options.flag('write-doc')) {
      writeDocBlock('throughput', md);
      log('docs/benchmarks.md: the throughput block is rewritten');
    }
  } finally {
    await server?.destroy();
  }
}

const bench: Bench = {
  title:
    'head to head: raw InfluxDB ceiling vs the hub (own process) vs Mosquitto + a subscriber, same load, counted in InfluxDB',
  run,
};

export default bench;
