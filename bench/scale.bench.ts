/**
 * Scale (docs/benchmarks.md): the hub as its own process (`community-hub start`) with N gateways
 * (default 10,000, `--gateways N`), each with its own `hmac-sha256$` secret; N idle connections
 * from another process (bench/scale/idle-clients.ts). Measures the hub's RSS before and after they
 * connect (memory per connection), how long the cold storm took, then restarts the hub (SIGTERM,
 * a new process on the same port and files) and measures how long until every gateway is
 * connected again, counting resets and refusals the clients retried.
 * `npm run bench -- scale [--gateways N] [--write-doc]`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { generateSecret, hashSecret } from '../src/secret.ts';
import { deadUrl } from '../test/helpers/influx.ts';
import { HubProcess } from '../test/helpers/hub-process.ts';
import type { BenchOptions } from './args.ts';
import { writeDocBlock } from './doc.ts';
import type { Bench } from './harness.ts';
import { memoryMiB } from './throughput/procs.ts';
import { gatewayId, SITE } from './throughput/workload.ts';

const CLIENTS = fileURLToPath(new URL('./scale/idle-clients.ts', import.meta.url));
const log = (s: string): boolean => process.stdout.write(`  ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface AllLine {
  connected: number;
  startedMs: number;
  lastAckMs: number;
  resets: number;
  refused: number;
  closed: number;
  other: number;
}

async function run(options: BenchOptions): Promise<void> {
  const n = options.number('gateways', 10_000);
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-scale-'));
  const secrets = Array.from({ length: n }, (_, i) => ({ id: gatewayId(i), password: generateSecret() }));
  const inventory = {
    sites: [
      {
        id: SITE,
        households: 100,
        gateways: secrets.map((s) => ({ id: s.id, secret: hashSecret(s.password, 'fast'), devices: [] })),
      },
    ],
  };
  // No data flows: InfluxDB is not needed (the hub starts without it and says so).
  const config = {
    inventory: 'inventory.yaml',
    dataDir: 'data',
    pseudonymKey: 'bench-pseudonym-key-0123456789abcdef',
    mqtt: { host: '127.0.0.1', port: 0, maxConnections: n + 100 },
    http: { host: '127.0.0.1', port: 0 },
    influx: { url: await deadUrl() },
    kpi: { enabled: false },
    selfStats: { enabled: false },
  };
  await writeFile(join(dir, 'inventory.yaml'), stringify(inventory));
  await writeFile(join(dir, 'hub.yaml'), stringify(config));
  await writeFile(join(dir, 'secrets.json'), JSON.stringify(secrets));
  let hub = await HubProcess.start(join(dir, 'hub.yaml'), {}, 120_000);
  const port = hub.port;
  let clients: ReturnType<typeof spawn> | undefined;
  try {
    await sleep(2_000); // let start-up garbage settle
    const rssBefore = memoryMiB(hub.pid, 'VmRSS');
    clients = spawn(process.execPath, ['--import', 'tsx', CLIENTS, String(port), join(dir, 'secrets.json')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: clients.stdout! })[Symbol.asyncIterator]();
    const nextAll = async (): Promise<AllLine> => {
      const r = await lines.next();
      if (r.done) throw new Error('the idle clients exited');
      return JSON.parse(r.value as string) as AllLine;
    };
    const cold = await nextAll();
    const coldS = (cold.lastAckMs - cold.startedMs) / 1000;
    log(
      `cold storm: ${n} connected in ${coldS.toFixed(1)} s (resets ${cold.resets}, refused ${cold.refused}, closed ${cold.closed}, other ${cold.other})`,
    );
    await sleep(5_000);
    const rssAfter = memoryMiB(hub.pid, 'VmRSS');
    const peak = memoryMiB(hub.pid, 'VmHWM');
    log(
      `hub RSS ${rssBefore.toFixed(0)} MiB before, ${rssAfter.toFixed(0)} MiB with ${n} idle (peak ${peak.toFixed(0)})`,
    );

    const stopAt = Date.now();
    hub.kill('SIGTERM');
    await hub.exited;
    const stopS = (Date.now() - stopAt) / 1000;
    hub = await HubProcess.start(join(dir, 'hub.yaml'), { HUB_MQTT_PORT: String(port) }, 120_000);
    const listening = Date.now();
    const again = await nextAll();
    const reconnectS = (again.lastAckMs - listening) / 1000;
    log(
      `restart: stop took ${stopS.toFixed(1)} s; ${n} reconnected ${reconnectS.toFixed(1)} s after the new hub listened, ${((again.lastAckMs - stopAt) / 1000).toFixed(1)} s after SIGTERM (resets ${again.resets}, refused ${again.refused}, closed ${again.closed}, other ${again.other})`,
    );

    const md = [
      `Measured ${new Date().toISOString().slice(0, 16)}Z, ${n} gateways (own \`hmac-sha256$\` secret each), node ${process.version}, \`mqtt.listenBacklog\` 4096, clients retrying with backoff 100 ms doubling to 2 s (jitter ×0.5–1.5).`,
      '',
      '| figure | value | goal | met |',
      '|---|---|---|---|',
      `| hub RSS idle, before → with ${n} idle connections | ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB (${(((rssAfter - rssBefore) * 1024) / n).toFixed(1)} KiB each) | < 1 GiB | ${rssAfter < 1024 ? 'yes' : '**no**'} |`,
      `| cold storm: all connect at once to a fresh hub | ${coldS.toFixed(1)} s (${cold.resets} resets, ${cold.refused} refused, ${cold.closed + cold.other} other, retried) | | |`,
      `| restart: SIGTERM → exited | ${stopS.toFixed(1)} s | | |`,
      `| restart: new hub listening → all ${n} reconnected | ${reconnectS.toFixed(1)} s (${again.resets} resets, ${again.refused} refused, ${again.closed + again.other} other, retried) | < 30 s | ${reconnectS < 30 ? 'yes' : '**no**'} |`,
    ].join('\n');
    process.stdout.write(`\n${md}\n`);
    if (options.flag('write-doc')) writeDocBlock('scale', md);
  } finally {
    if (clients?.pid && clients.exitCode === null) {
      const exited = new Promise((r) => clients!.once('exit', r));
      process.kill(clients.pid, 'SIGTERM');
      await exited;
    }
    hub.kill('SIGTERM');
    await hub.exited;
    await rm(dir, { recursive: true, force: true });
  }
}

const bench: Bench = {
  title: 'the hub (own process) with 10,000 idle gateway connections, and their reconnect after a restart',
  run,
};

export default bench;
