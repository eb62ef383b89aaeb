/**
 * A reconnect storm (issue: scrypt at every CONNECT fills the libuv thread pool): N gateways
 * connect at once over real TCP to the real broker (aedes, the hub's authenticator), all
 * disconnect, and all reconnect at once; connects per second from the first CONNECT sent to the
 * last CONNACK received, for
 * - `mqtt.authCacheTtl: 0` (no cache: scrypt at every CONNECT, what the hub did before), whose
 *   reconnect is the baseline of the ratios,
 * - the default cache: the first connect is cold (scrypt, and fills the cache), the reconnect warm.
 * While each storm runs, a probe appends 64 bytes to a file and fdatasyncs it in a loop (what the
 * spool does before a PUBACK; fs work shares the thread pool with scrypt): its median and worst
 * latency are printed too. Every gateway has its own id and the same scrypt hash (N=16384, as
 * `community-hub secret hash` makes; hashing 200 distinct ones would take the setup ~15 s), so each
 * check costs one full scrypt. Median of ROUNDS storms, a fresh broker each. `npm run bench -- auth`.
 *
 * First, a cold restart storm (no cache can help: a fresh hub): COLD gateways (default 2,000,
 * `npm run bench -- auth --gateways 10000`) CONNECT at once, each with its own secret, stored
 * with the fast scheme (`hmac-sha256$…`, what `secret hash --generate` makes) vs scrypt (one
 * hash shared by all, as above); one storm each, connect time and rate. `--cold-only` skips the
 * rest.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { createBroker } from '../src/broker/index.ts';
import { Inventory, inventorySchema } from '../src/config/inventory.ts';
import { configSchema } from '../src/config/schema.ts';
import { createLogger } from '../src/log.ts';
import { generateSecret, hashSecret } from '../src/secret.ts';
import { connectWithRetry } from './connect.ts';
import { median, printTable, type Bench } from './harness.ts';

const GATEWAYS = 200;
const ROUNDS = 3;
const SECRET = 'bench-gateway-secret';
const logger = createLogger('silent');

/** One cold storm of `secrets.length` gateways on a fresh broker; seconds until the last CONNACK. */
async function coldStorm(secrets: { plain: string; stored: string }[]): Promise<number> {
  const gateways = secrets.map((s, i) => ({ id: `gw-${i}`, secret: s.stored, devices: [] }));
  const inventory = new Inventory(inventorySchema.parse({ sites: [{ id: 's', households: 1, gateways }] }));
  const config = configSchema.parse({
    pseudonymKey: 'k'.repeat(32),
    mqtt: { host: '127.0.0.1', port: 0, maxConnections: secrets.length + 10 },
  }).mqtt;
  const broker = createBroker({ config, inventory, logger, onPublish: async () => {} });
  const { port } = await broker.start();
  try {
    const t0 = performance.now();
    // A storm of thousands may overflow the listen backlog: resets are counted and retried.
    const stats = { retries: 0, errors: 0 };
    const clients = await Promise.all(
      secrets.map((s, i) =>
        connectWithRetry(
          `mqtt://127.0.0.1:${port}`,
          { username: `gw-${i}`, password: s.plain, clientId: `c-${i}` },
          stats,
        ),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (stats.retries > 0) process.stdout.write(`    (${stats.retries} connect attempts failed and were retried)\n`);
    await Promise.all(clients.map((c) => c.endAsync(true)));
    return seconds;
  } finally {
    await broker.stop();
  }
}

/** Connect every gateway at once; connects per second until the last CONNACK. */
async function storm(port: number): Promise<{ perSecond: number; clients: MqttClient[] }> {
  const t0 = performance.now();
  const clients = await Promise.all(
    Array.from({ length: GATEWAYS }, (_, i) =>
      mqtt.connectAsync(
        `mqtt://127.0.0.1:${port}`,
        { username: `gw-${i}`, password: SECRET, clientId: `c-${i}`, reconnectPeriod: 0, connectTimeout: 120_000 },
        false,
      ),
    ),
  );
  return { perSecond: (GATEWAYS * 1000) / (performance.now() - t0), clients };
}

/** fdatasync latency (ms) of 64-byte appends, looped until `stop` resolves. */
async function probe(dir: string, stop: Promise<unknown>): Promise<number[]> {
  const fh = await open(join(dir, `probe-${Math.random().toString(36).slice(2)}`), 'a');
  const samples: number[] = [];
  let done = false;
  void stop.then(() => (done = true));
  const chunk = Buffer.alloc(64, 0x61);
  try {
    while (!done) {
      const t0 = performance.now();
      await fh.write(chunk);
      await fh.datasync();
      samples.push(performance.now() - t0);
    }
  } finally {
    await fh.close();
  }
  return samples;
}

interface Phase {
  perSecond: number[];
  fsyncMedian: number[];
  fsyncMax: number[];
}

const bench: Bench = {
  title: `a reconnect storm: ${GATEWAYS} gateways CONNECT at once over TCP, connects/s with the verified-credential cache vs scrypt every time`,
  async run(options) {
    const COLD = options.number('gateways', 2_000);
    const COLD_ONLY = options.flag('cold-only');
    process.stdout.write(`\n  cold restart storm: ${COLD} gateways CONNECT at once to a fresh hub (one storm each)\n`);
    const fast = Array.from({ length: COLD }, () => {
      const plain = generateSecret();
      return { plain, stored: hashSecret(plain, 'fast') };
    });
    const shared = hashSecret(SECRET);
    const slow = Array.from({ length: COLD }, () => ({ plain: SECRET, stored: shared }));
    const rows: { label: string; value: number; unit: string }[] = [];
    for (const [label, secrets] of [
      ['scrypt (scrypt$…)', slow],
      ['fast scheme (hmac-sha256$…)', fast],
    ] as const) {
      const seconds = await coldStorm([...secrets]);
      process.stdout.write(`    ${label}: ${seconds.toFixed(2)} s, ${(COLD / seconds).toFixed(0)} conn/s\n`);
      rows.push({ label, value: COLD / seconds, unit: 'conn/s' });
    }
    printTable(rows, rows[0]!.value, 'scrypt');
    if (COLD_ONLY) return;
    const dir = await mkdtemp(join(tmpdir(), 'hub-bench-auth-'));
    try {
      const secret = hashSecret(SECRET);
      const gateways = Array.from({ length: GATEWAYS }, (_, i) => ({ id: `gw-${i}`, secret, devices: [] }));
      const inventory = new Inventory(inventorySchema.parse({ sites: [{ id: 's', households: 1, gateways }] }));
      const phases = new Map<string, Phase>();
      const record = (label: string, perSecond: number, fsync: number[]): void => {
        const p = phases.get(label) ?? { perSecond: [], fsyncMedian: [], fsyncMax: [] };
        p.perSecond.push(perSecond);
        p.fsyncMedian.push(median(fsync));
        p.fsyncMax.push(Math.max(...fsync));
        phases.set(label, p);
      };
      // Idle fdatasync latency, for comparison.
      const idle = await probe(dir, new Promise((r) => setTimeout(r, 1_000)));
      for (let round = 0; round < ROUNDS; round++) {
        for (const ttl of [0, '1h'] as const) {
          const name = ttl === 0 ? 'cache off (authCacheTtl 0)' : 'cache on (authCacheTtl 1h)';
          const config = configSchema.parse({
            pseudonymKey: 'k'.repeat(32),
            mqtt: { host: '127.0.0.1', port: 0, authCacheTtl: ttl },
          }).mqtt;
          const broker = createBroker({ config, inventory, logger, onPublish: async () => {} });
          const { port } = await broker.start();
          try {
            for (const phase of ['first connect', 'reconnect'] as const) {
              const running = storm(port);
              const fsync = await probe(dir, running);
              const { perSecond, clients } = await running;
              const label = `${name}, ${phase}${ttl === 0 ? '' : phase === 'first connect' ? ' (cold: scrypt)' : ' (warm: cached)'}`;
              record(label, perSecond, fsync);
              await Promise.all(clients.map((c) => c.endAsync(true)));
            }
            const s = broker.stats().authCache;
            if (ttl !== 0 && (s.hits !== GATEWAYS || s.misses !== GATEWAYS))
              throw new Error(`unexpected cache stats ${JSON.stringify(s)}`);
          } finally {
            await broker.stop();
          }
        }
      }
      const rows = [...phases].map(([label, p]) => ({ label, value: median(p.perSecond), unit: 'conn/s' }));
      const baseline = median(phases.get('cache off (authCacheTtl 0), reconnect')!.perSecond);
      process.stdout.write(
        `\n  ${GATEWAYS} gateways, median of ${ROUNDS} storms, UV_THREADPOOL_SIZE ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}:\n`,
      );
      printTable(rows, baseline, 'no cache, reconnect');
      process.stdout.write(
        `  64-byte append + fdatasync during each storm (median / worst, ms; idle: ${median(idle).toFixed(2)} / ${Math.max(...idle).toFixed(2)}):\n`,
      );
      for (const [label, p] of phases)
        process.stdout.write(`    ${label}: ${median(p.fsyncMedian).toFixed(2)} / ${median(p.fsyncMax).toFixed(2)}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
