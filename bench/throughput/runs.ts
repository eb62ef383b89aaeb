/**
 * One measured run of each contender of the throughput bench (docs/benchmarks.md): the hub as a
 * separate process (`community-hub start`, test/helpers/hub-process.ts) and the peers (Mosquitto +
 * bench/peers/subscriber.mjs, or + Node-RED), all driven by loadgen.ts and judged by the points
 * counted in InfluxDB afterwards; and the latency probe, one reading at a time while a paced load
 * runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { generateSecret, hashSecret } from '../../src/secret.ts';
import { HubProcess } from '../../test/helpers/hub-process.ts';
import { countPoints, createDatabase, dropDatabase, waitForPoints } from './influx.ts';
import { cpuSeconds, memoryMiB, startLoad, startMosquitto, startNodeRed, startPeer, type Proc } from './procs.ts';
import { baseTime, gatewayId, inventoryOf, POINTS_PER_MESSAGE, topicOf, payloadOf, type Workload } from './workload.ts';

/** What one flat-out run measured. */
export interface RunResult {
  acked: number;
  stored: number;
  /** Messages acknowledged per second (first publish to last PUBACK). */
  ackRate: number;
  /** Messages queryable in InfluxDB per second (first publish to the count reaching 3 × acked). */
  storedRate: number;
  /** CPU µs per message of the contender's processes (hub; or Mosquitto + subscriber). */
  cpuUsPerMsg: number;
  /** CPU µs per message of the load generator, which shares the machine with the contender. */
  generatorUsPerMsg: number;
  /** CPU µs per message of InfluxDB over the same window (NaN when it is not ours to watch). */
  influxUsPerMsg: number;
  /** Peak RSS (VmHWM) of the hub or the subscriber, MiB. */
  peakMiB: number;
  retries: number;
}

/** The latency probe's samples, ms from publish to queryable. */
export type Latencies = number[];

/** A contender set up for runs: where to publish, whose CPU to count, and how to tear it down. */
export interface Contender {
  url: string;
  password: string;
  pids(): number[];
  /** The process whose peak RSS is reported. */
  mainPid(): number;
  stop(): Promise<void>;
}

const PSEUDONYM_KEY = 'bench-pseudonym-key-0123456789abcdef';

/** The hub as an operator runs it, on a fresh data dir and `db`; `extra` is merged into hub.yaml. */
export async function startHub(
  influxUrl: string,
  db: string,
  w: Workload,
  extra: Record<string, unknown> = {},
): Promise<Contender> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-throughput-'));
  const password = generateSecret();
  // One extra gateway for the latency probe; the fast scheme (a restart storm is not measured here).
  const inventory = inventoryOf({ ...w, gateways: w.gateways + 1 }, hashSecret(password, 'fast'));
  const { mqtt: mqttExtra, ...rest } = extra;
  const config = {
    inventory: 'inventory.yaml',
    dataDir: 'data',
    pseudonymKey: PSEUDONYM_KEY,
    log: { level: 'info' },
    mqtt: { host: '127.0.0.1', port: 0, ...(mqttExtra as object | undefined) },
    http: { host: '127.0.0.1', port: 0 },
    influx: { url: influxUrl, database: db },
    // Only the workload's points are counted; the KPI scheduler would add load of its own.
    kpi: { enabled: false },
    ...rest,
  };
  await writeFile(join(dir, 'inventory.yaml'), stringify(inventory));
  await writeFile(join(dir, 'hub.yaml'), stringify(config));
  const hub = await HubProcess.start(join(dir, 'hub.yaml'), {}, 120_000).catch(async (e: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    url: `mqtt://127.0.0.1:${hub.port}`,
    password,
    pids: () => [hub.pid],
    mainPid: () => hub.pid,
    async stop() {
      hub.kill('SIGTERM');
      await hub.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `n` hubs in external broker mode behind the tuned Mosquitto of the peer (docs/operations.md,
 * "Behind an external broker"), one share group, each on its own data dir; the gateways publish to
 * Mosquitto (anonymous: the password is unused). CPU counts Mosquitto and every hub.
 */
export async function startExternalHubs(influxUrl: string, db: string, w: Workload, n: number): Promise<Contender> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-external-'));
  const broker = await startMosquitto(dir);
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const hubs: Contender[] = [];
  try {
    for (let i = 0; i < n; i++)
      hubs.push(
        await startHub(influxUrl, db, w, {
          mqtt: { mode: 'external', brokerUrl: url, clientId: `bench-hub-${i}`, shareGroup: db.replace(/\W/g, '-') },
        }),
      );
  } catch (e) {
    for (const h of hubs) await h.stop();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    password: 'unused',
    pids: () => [broker.pid, ...hubs.flatMap((h) => h.pids())],
    mainPid: () => hubs[0]!.mainPid(),
    async stop() {
      for (const h of hubs) await h.stop();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Mosquitto + a process `start` starts on it, writing to `db`: the peers (bench/peers/). */
async function brokerAnd(
  influxUrl: string,
  db: string,
  start: (mqttUrl: string, dir: string) => Promise<Proc>,
): Promise<Contender> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-peer-'));
  await createDatabase(influxUrl, db);
  const broker = await startMosquitto(dir);
  const url = `mqtt://127.0.0.1:${broker.port}`;
  let sub: Proc;
  try {
    sub = await start(url, dir);
  } catch (e) {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    password: 'unused',
    pids: () => [broker.pid, sub.pid],
    mainPid: () => sub.pid,
    async stop() {
      await sub.stop();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Mosquitto + the peer subscriber writing to `db`. */
export const startPeerSet = (influxUrl: string, db: string): Promise<Contender> =>
  brokerAnd(influxUrl, db, (url) => startPeer(url, influxUrl, db));

/** Mosquitto + Node-RED with its flow writing to `db`. */
export const startNodeRedSet = (influxUrl: string, db: string): Promise<Contender> =>
  brokerAnd(influxUrl, db, (url, dir) => startNodeRed(url, influxUrl, db, dir));

/** One flat-out run of `seconds` against `c`, counted in `db`. */
export async function flatOut(
  c: Contender,
  influxUrl: string,
  db: string,
  w: Workload,
  seconds: number,
  influxPid?: number,
  t0 = baseTime(),
): Promise<RunResult> {
  const load = await startLoad({ url: c.url, password: c.password, workload: w, t0, seconds, rate: 0 });
  const cpu = (): number => c.pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
  const influxCpu = (): number => (influxPid === undefined ? NaN : cpuSeconds(influxPid));
  const before = cpu();
  const influxBefore = influxCpu();
  const done = await load.go();
  const { count, atMs } = await waitForPoints(influxUrl, db, done.acked * POINTS_PER_MESSAGE);
  const cpuUsed = cpu() - before;
  const influxUsed = influxCpu() - influxBefore;
  return {
    acked: done.acked,
    stored: count / POINTS_PER_MESSAGE,
    ackRate: done.acked / ((done.lastAckMs - done.firstMs) / 1000),
    storedRate: done.acked / ((atMs - done.firstMs) / 1000),
    cpuUsPerMsg: (cpuUsed * 1e6) / done.acked,
    generatorUsPerMsg: done.cpuUs / done.acked,
    influxUsPerMsg: (influxUsed * 1e6) / done.acked,
    peakMiB: memoryMiB(c.mainPid(), 'VmHWM'),
    retries: done.retries + load.retries,
  };
}

/**
 * Publish-to-queryable latency at `rate` msg/s: while loadgen.ts publishes at that pace, the probe
 * gateway (the inventory's last) publishes one reading at a time and polls InfluxDB for its count
 * every 10 ms; a sample is from the publish call to the first answer that includes it.
 */
export async function latencyAt(
  c: Contender,
  influxUrl: string,
  db: string,
  w: Workload,
  rate: number,
  seconds: number,
): Promise<Latencies> {
  // Another t0 than the flat-out runs', so these readings do not land on their points.
  const t0 = baseTime() - 5 * 86_400_000;
  const load = await startLoad({ url: c.url, password: c.password, workload: w, t0, seconds, rate });
  const probeGw = gatewayId(w.gateways);
  const probe = await mqtt.connectAsync(
    c.url,
    { username: probeGw, password: c.password, clientId: probeGw, reconnectPeriod: 0 },
    false,
  );
  const samples: number[] = [];
  const running = load.go();
  let finished = false;
  void running.finally(() => (finished = true));
  const base = await countPoints(influxUrl, db, probeGw);
  for (let n = 0; !finished; n++) {
    const t = performance.now();
    await probe.publishAsync(topicOf(w.gateways, 0), payloadOf(t0, n), { qos: 1 });
    const want = base + (n + 1) * POINTS_PER_MESSAGE;
    while ((await countPoints(influxUrl, db, probeGw)) < want) {
      if (performance.now() - t > 30_000) throw new Error('a probe reading did not become queryable within 30 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    samples.push(performance.now() - t);
  }
  await running;
  await probe.endAsync();
  return samples;
}

export { createDatabase, dropDatabase };
