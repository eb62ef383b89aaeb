/**
 * Head to head (docs/benchmarks.md): the raw ceiling (the hub's line protocol straight into
 * InfluxDB), the hub as a separate process, and the peer (tuned Mosquitto + a ~40-line mqtt.js
 * subscriber writing with the official client, bench/peers/) and Node-RED 4 on the same Mosquitto
 * (node-red-contrib-influxdb, batches of ~5,000 points), all under the same load generator
 * (bench/throughput/loadgen.ts, its own process) and judged by the points counted in InfluxDB
 * afterwards. Loads: 4 gateways × 25 bins with 500 unacknowledged each ("busy") and 200 gateways ×
 * 1 bin with 10 each ("many"); latency at half the hub's (and the peer's) flat-out rate.
 * `npm run bench -- throughput [--reps N] [--seconds S] [--latency-seconds S] [--write-doc] [--no-peer]
 * [--no-node-red] [--no-external]`; the last two hub series run in external broker mode behind
 * Mosquitto, one hub then two in one share group.
 */
import { startInflux } from '../test/helpers/influx.ts';
import type { BenchOptions } from './args.ts';
import { writeDocBlock } from './doc.ts';
import type { Bench } from './harness.ts';
import { formatCount, spread } from './stats.ts';
import { ceilingRate, workloadLines } from './throughput/ceiling.ts';
import { dropDatabase } from './throughput/influx.ts';
import { ensurePeerInstalled, quietProcess } from './throughput/procs.ts';
import { machineLine, report, type Series } from './throughput/report.ts';
import {
  flatOut,
  latencyAt,
  startExternalHubs,
  startHub,
  startNodeRedSet,
  startPeerSet,
  type Contender,
} from './throughput/runs.ts';
import type { Workload } from './throughput/workload.ts';

export const LOADS: Record<string, Workload> = {
  'busy: 4 gw × 25 bins, window 500': { gateways: 4, binsPerGateway: 25, window: 500 },
  'many: 200 gw × 1 bin, window 10': { gateways: 200, binsPerGateway: 1, window: 10 },
};
const BUSY = Object.values(LOADS)[0]!;
const CEILING_MESSAGES = 100_000;

const log = (s: string): boolean => process.stdout.write(`  ${s}\n`);

/** One contender's flat-out runs under one load, filled in as the interleaved reps go. */
interface Lane {
  name: string;
  load: string;
  start: (db: string) => Promise<Contender>;
  series: Series;
}

/**
 * `reps` flat-out runs of every lane, each on a fresh process set and database, interleaved: rep 1
 * of every lane, then rep 2 in the other order, and so on. On a shared 2-core machine conditions
 * drift over minutes; runs of one contender in a block would carry that drift into the ratios.
 */
async function interleaved(
  lanes: Lane[],
  influxUrl: string,
  quiet: () => Promise<void>,
  reps: number,
  seconds: number,
  influxPid?: number,
): Promise<void> {
  for (let rep = 0; rep < reps; rep++) {
    for (const lane of rep % 2 === 0 ? lanes : [...lanes].reverse()) {
      const { name, load } = lane;
      const db = `bench_${name.replace(/\W+/g, '_')}_${rep}_${Date.now()}`;
      await quiet();
      const c = await lane.start(db);
      try {
        const r = await flatOut(c, influxUrl, db, LOADS[load]!, seconds, influxPid);
        log(
          `${name}, ${load}, rep ${rep + 1}: ${formatCount(r.storedRate)} msg/s stored, ${formatCount(r.ackRate)} acked, ${r.cpuUsPerMsg.toFixed(0)} µs CPU/msg (generator ${r.generatorUsPerMsg.toFixed(0)}, InfluxDB ${r.influxUsPerMsg.toFixed(0)}), ${r.peakMiB.toFixed(0)} MiB peak, ${r.acked - r.stored} lost`,
        );
        lane.series.runs.push(r);
      } finally {
        await c.stop();
        await dropDatabase(influxUrl, db);
      }
    }
  }
}

const lane = (name: string, load: string, start: (db: string) => Promise<Contender>): Lane => ({
  name,
  load,
  start,
  series: { contender: name, load, runs: [] },
});

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
    log(`${name}, latency at ${formatCount(rate)} msg/s: ${samples.length} samples`);
    return { contender: name, rate, samples };
  } finally {
    await c.stop();
    await dropDatabase(influxUrl, db);
  }
}

async function run(options: BenchOptions): Promise<void> {
  const reps = options.number('reps', 3);
  // 20 s, as the load the performance goals were set against (docs/benchmarks.md, "Throughput"):
  // shorter runs weigh the start (JIT warm-up, the last drain) more, for every contender.
  const seconds = options.number('seconds', 20);
  const withPeer = !options.flag('no-peer');
  // Node-RED 4 with node-red-contrib-influxdb: what many community operators already run.
  const withNodeRed = withPeer && !options.flag('no-node-red');
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
      if (server) await quietProcess(server.pid);
      ceiling.push(await ceilingRate(influxUrl, db, lines).finally(() => dropDatabase(influxUrl, db)));
      log(`ceiling, rep ${rep + 1}: ${formatCount(ceiling.at(-1)!)} msg/s`);
    }
    const quiet = (): Promise<void> => (server ? quietProcess(server.pid) : Promise.resolve());
    const hub = (db: string): Promise<Contender> => startHub(influxUrl, db, BUSY);
    const peer = (db: string): Promise<Contender> => startPeerSet(influxUrl, db);
    if (withPeer || !options.flag('no-external')) ensurePeerInstalled();
    const lanes: Lane[] = [];
    for (const load of Object.keys(LOADS)) {
      const w = LOADS[load]!;
      lanes.push(lane('hub', load, (db) => startHub(influxUrl, db, w)));
      if (withPeer) lanes.push(lane('peer', load, peer));
      if (withNodeRed) lanes.push(lane('Node-RED', load, (db) => startNodeRedSet(influxUrl, db)));
    }
    if (!options.flag('no-external')) {
      // Scale-out (docs/operations.md, "Behind an external broker"): one and two hubs behind the
      // same tuned Mosquitto, busy load; the ratio says what a second hub adds.
      const busy = Object.keys(LOADS)[0]!;
      for (const n of [1, 2])
        lanes.push(
          lane(`${n} hub${n > 1 ? 's' : ''} behind Mosquitto`, busy, (db) => startExternalHubs(influxUrl, db, BUSY, n)),
        );
    }
    await interleaved(lanes, influxUrl, quiet, reps, seconds, server?.pid);
    // The order the report expects: the hub's loads, the peers', then the external layouts.
    const order = ['hub', 'peer', 'Node-RED'];
    const rank = (l: Lane): number => (order.includes(l.name) ? order.indexOf(l.name) : order.length);
    const all: Series[] = [...lanes].sort((a, b) => rank(a) - rank(b)).map((l) => l.series);
    const median = (name: string): number =>
      spread(lanes.find((l) => l.name === name)!.series.runs.map((r) => r.storedRate)).median;
    const latencies = [];
    await quiet();
    latencies.push(await latency('hub', hub, influxUrl, median('hub') / 2, latencySeconds));
    if (withPeer) {
      await quiet();
      latencies.push(await latency('peer', peer, influxUrl, median('peer') / 2, latencySeconds));
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
    'head to head: raw InfluxDB ceiling vs the hub (own process) vs Mosquitto + a subscriber (and + Node-RED), same load, counted in InfluxDB',
  run,
};

export default bench;
