/**
 * Processes of the throughput bench, each started and stopped by its PID: the load generator
 * (loadgen.ts), Mosquitto with a temporary config (the peers' broker), the peer's subscriber and
 * Node-RED with its flow (bench/peers/), and what /proc says about any of them (CPU time, peak and
 * current RSS).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/net.ts';
import type { LoadResult, LoadSpec } from './loadgen.ts';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));
const PEERS = fileURLToPath(new URL('../peers/', import.meta.url));
/** Kernel clock ticks per second (utime and stime in /proc/<pid>/stat are in ticks). */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may contain spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14 and 15)
}

/**
 * Resolves once process `pid` used under 10 % of a core over half a second (or after 20 s): so a
 * run does not start while InfluxDB still compacts what the previous run wrote.
 */
export async function quietProcess(pid: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (let before = cpuSeconds(pid); Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuSeconds(pid);
    if (now - before < 0.05) return;
    before = now;
  }
}

/** `VmHWM` (peak) or `VmRSS` (now) of a process, in MiB, from /proc/<pid>/status. */
export function memoryMiB(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Lines of a child's stdout, parsed as JSON, as they arrive. */
function jsonLines(child: ChildProcess): AsyncIterator<Record<string, unknown>> {
  const rl = createInterface({ input: child.stdout! });
  const it = rl[Symbol.asyncIterator]();
  return {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done) return { done: true, value: undefined };
        try {
          return { done: false, value: JSON.parse(r.value) as Record<string, unknown> };
        } catch {
          continue; // not one of ours
        }
      }
    },
  };
}

/** A load generator, connected and waiting for {@link Load.go}. */
export interface Load {
  pid: number;
  retries: number;
  /** Starts publishing; resolves with its result once every publish is acknowledged. */
  go(): Promise<LoadResult>;
}

/** Starts loadgen.ts with `spec` and waits until every gateway is connected. */
export async function startLoad(spec: LoadSpec): Promise<Load> {
  const child = spawn(process.execPath, ['--import', 'tsx', LOADGEN, JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the load generator exited (${code}) before it was done`))),
  );
  exited.catch(() => undefined);
  const lines = jsonLines(child);
  const nextLine = async (): Promise<Record<string, unknown>> => {
    const r = await Promise.race([lines.next(), exited]);
    if (r.done) throw new Error('the load generator closed its output');
    return r.value;
  };
  const ready = await nextLine();
  return {
    pid: child.pid!,
    retries: Number(ready.retries),
    async go() {
      child.stdin!.write('go\n');
      const done = (await nextLine()) as unknown as LoadResult;
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
      return done;
    },
  };
}

/** A process of ours with a stop() that signals it by PID and waits for it to exit. */
export interface Proc {
  pid: number;
  stop(): Promise<void>;
}

function own(child: ChildProcess): Proc {
  let exited = false;
  const gone = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  return {
    pid: child.pid!,
    async stop() {
      if (!exited) process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => !exited && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Mosquitto tuned as the peer was measured by hand (docs/benchmarks.md): no persistence, big queues. */
export async function startMosquitto(dir: string): Promise<Proc & { port: number }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 1000000',
      'max_inflight_messages 0',
      'set_tcp_nodelay true',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const proc = own(child);
  // Ready once it accepts TCP.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(true)); // in use: mosquitto has bound it
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (ok) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`mosquitto did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Object.assign(proc, { port });
}

/** Installs bench/peers/ (its own package.json; never a dependency of the hub) on first use. */
export function ensurePeerInstalled(): void {
  const installed = ['mqtt', 'node-red', 'node-red-contrib-influxdb'].every((m) =>
    existsSync(join(PEERS, 'node_modules', m, 'package.json')),
  );
  if (installed) return;
  process.stdout.write('  installing the peers (npm install --prefix bench/peers)…\n');
  execFileSync('npm', ['install', '--prefix', PEERS, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** The peer subscriber (bench/peers/subscriber.mjs), subscribed and writing to `influxUrl`/`db`. */
export async function startPeer(mqttUrl: string, influxUrl: string, db: string): Promise<Proc> {
  const child = spawn(process.execPath, [join(PEERS, 'subscriber.mjs'), mqttUrl, influxUrl, db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const proc = own(child);
  const lines = jsonLines(child);
  const first = await lines.next();
  if (first.done || first.value.event !== 'subscribed') throw new Error('the peer subscriber did not subscribe');
  return proc;
}

/**
 * Node-RED 4 running bench/peers/node-red/flows.json (MQTT in at QoS 1, the subscriber's points,
 * joined into batches of ~5,000 points or 1 s, written by node-red-contrib-influxdb's batch node),
 * its user folder in `dir`. Ready once its MQTT client has connected and subscribed: Node-RED logs
 * "Connected to broker" and then sends SUBSCRIBE, so a short settle follows. Its warnings and errors
 * go to the bench's stderr, but for the two every start gives (no credential secret, no projects).
 */
export async function startNodeRed(mqttUrl: string, influxUrl: string, db: string, dir: string): Promise<Proc> {
  const mqttAt = new URL(mqttUrl);
  const influxAt = new URL(influxUrl);
  const child = spawn(
    process.execPath,
    [
      join(PEERS, 'node_modules', 'node-red', 'red.js'),
      '--settings',
      join(PEERS, 'node-red', 'settings.cjs'),
      '--userDir',
      join(dir, 'node-red'),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        MQTT_HOST: mqttAt.hostname,
        MQTT_PORT: mqttAt.port,
        INFLUX_HOST: influxAt.hostname,
        INFLUX_PORT: influxAt.port,
        INFLUX_DB: db,
      },
    },
  );
  const proc = own(child);
  const lines = createInterface({ input: child.stdout! });
  const connected = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.includes('Connected to broker')) resolve();
      else if (/\[(warn|error)\]/.test(line) && !/unencrypted credentials|Projects disabled/.test(line)) {
        process.stderr.write(`  Node-RED: ${line}\n`);
      }
    });
    child.once('exit', (code) => reject(new Error(`Node-RED exited (${code}) before it connected`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    await connected;
  } catch (e) {
    await proc.stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  await new Promise((r) => setTimeout(r, 500));
  return proc;
}
