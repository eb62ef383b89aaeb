/**
 * What durability costs (a PUBACK only once the message is on disk, docs/contract.md §2): messages
 * per second through the ingest path (`Ingest.handle`:
 * normalise, then made durable; what the broker waits for before the PUBACK), for
 * - the spool with fsync on (the default: a PUBACK survives a power cut),
 * - the spool with fsync off (survives a crash of the hub, not of the machine),
 * - no spool, writing straight to InfluxDB with the writer's defaults (the PUBACK waits for
 *   InfluxDB; what the hub did before the spool), the baseline of the ratios;
 * - no spool with `flushIntervalMs: 0` (every write sent at once: the best a write-through
 *   design could do for latency, at the cost of many small requests).
 * Measured two ways: calling `Ingest.handle` (one at a time, as a gateway that waits for each
 * PUBACK, and 256 in flight, as many gateways), and through the real broker over TCP with one
 * mqtt.js gateway publishing at QoS 1 (window 1, and 100 unacknowledged). For the spool it also
 * reports how soon after the last PUBACK the backlog is in InfluxDB (the drainer runs throughout),
 * and how many messages shared each group commit. A real InfluxDB: `HUB_INFLUX_URL` (1.x, no auth)
 * or a private one started for the run. `npm run bench -- durability`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { createBroker } from '../src/broker/index.ts';
import { Inventory, inventorySchema } from '../src/config/inventory.ts';
import { configSchema } from '../src/config/schema.ts';
import { DeadLetterStore } from '../src/deadletters/store.ts';
import { createLogger } from '../src/log.ts';
import { hashSecret } from '../src/secret.ts';
import { createNormaliser, loadRegistry, type Normaliser } from '../src/normalise/index.ts';
import { connectInflux, ensureDatabase, InfluxPointWriter, type InfluxConnection } from '../src/store/index.ts';
import { Ingest, type IngestMessage } from '../src/store/ingest.ts';
import { Drainer, Quarantine, Spool } from '../src/store/spool/index.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { printTable, type Bench } from './harness.ts';

/** How a variant is driven: `Ingest.handle` with N calls in flight, or the broker with an mqtt.js window. */
const PATHS = [
  { via: 'ingest', load: 1 },
  { via: 'ingest', load: 256 },
  { via: 'broker', load: 1 },
  { via: 'broker', load: 100 },
] as const;
const SECRET = 'bench-gateway-secret';
const TOPIC = 'community/v1/s/gw/bin-01/event';
/** Each variant runs until this many messages or this long, whichever comes first. */
const MAX_MESSAGES = 20_000;
const MAX_MS = 3_000;
const logger = createLogger('silent');

interface Variant {
  label: string;
  /** Builds the ingest path; `finish` waits until InfluxDB holds everything, then closes. */
  build(dir: string): Promise<{ ingest: Ingest; finish(): Promise<{ drainMs: number; perCommit?: number }> }>;
}

let seq = 0;
function payload(): string {
  const i = seq++;
  return JSON.stringify({
    id: `b-${i}`,
    ts: new Date().toISOString(),
    type: 'deposit',
    household: `H-${i % 500}`,
    category: 'kitchen',
    weight: 1.2,
    sorting: 'correct',
    auth: 'card',
  });
}
function message(): IngestMessage {
  return {
    topic: TOPIC,
    site: 's',
    gateway: 'gw',
    device: 'bin-01',
    channel: 'event',
    payload: Buffer.from(payload()),
    receivedAt: Date.now(),
  };
}

/** Messages per second with `load` handle() calls in flight, and how many were sent. */
async function viaIngest(ingest: Ingest, load: number): Promise<{ perSecond: number; count: number }> {
  let sent = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (sent < MAX_MESSAGES && performance.now() - t0 < MAX_MS) {
      sent++;
      await ingest.handle(message());
    }
  };
  await Promise.all(Array.from({ length: load }, worker));
  return { perSecond: (sent * 1000) / (performance.now() - t0), count: sent };
}

/** Messages per second through the broker: one mqtt.js gateway, at most `window` unacknowledged. */
async function viaBroker(
  ingest: Ingest,
  inventory: Inventory,
  window: number,
): Promise<{ perSecond: number; count: number }> {
  const config = configSchema.parse({ pseudonymKey: 'k'.repeat(32), mqtt: { host: '127.0.0.1', port: 0 } }).mqtt;
  const broker = createBroker({
    config,
    inventory,
    logger,
    onPublish: async (ctx) => void (await ingest.handle({ ...ctx, receivedAt: Date.now() })),
  });
  const { port } = await broker.start();
  const client = await mqtt.connectAsync(
    `mqtt://127.0.0.1:${port}`,
    { username: 'gw', password: SECRET, reconnectPeriod: 0 },
    false,
  );
  let sent = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (sent < MAX_MESSAGES && performance.now() - t0 < MAX_MS) {
      sent++;
      await client.publishAsync(TOPIC, payload(), { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const perSecond = (sent * 1000) / (performance.now() - t0);
  await client.endAsync();
  await broker.stop();
  return { perSecond, count: sent };
}

function variants(conn: InfluxConnection, normaliser: Normaliser, inventory: Inventory): Variant[] {
  const deadLetters = (dir: string): DeadLetterStore =>
    new DeadLetterStore({ dir: join(dir, 'dl'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
  const spooled = (fsync: boolean): Variant => ({
    label: `spool, fsync ${fsync ? 'on' : 'off'}`,
    async build(dir) {
      const spool = new Spool({
        dir: join(dir, 'spool'),
        maxBytes: 1 << 30,
        fsync,
        maxBufferedBytes: 64 << 20,
        backpressureTimeoutMs: 30_000,
        logger,
      });
      await spool.open();
      const dl = deadLetters(dir);
      await dl.start();
      const drainConn = connectInflux({ ...conn.settings, maxRetries: 0, flushIntervalMs: 0 });
      const writer = new InfluxPointWriter(drainConn);
      const { batchSize, maxBatchesInFlight } = drainConn.settings;
      const drainer = new Drainer({
        spool,
        writer,
        deadLetters: dl,
        quarantine: new Quarantine({ dir: join(dir, 'quarantine'), fsync, deadLetters: dl }),
        logger,
        chunkPoints: batchSize * maxBatchesInFlight,
        batchPoints: batchSize,
        retry: drainConn.settings,
      });
      drainer.start();
      const ingest = new Ingest({ inventory, normaliser, spool, deadLetters: dl, logger });
      return {
        ingest,
        async finish() {
          const t0 = performance.now();
          await drainer.drained();
          const drainMs = performance.now() - t0;
          const { records, commits } = spool.stats();
          await spool.close();
          await drainer.stop();
          await writer.close();
          return { drainMs, perCommit: records / Math.max(1, commits) };
        },
      };
    },
  });
  const direct = (flushIntervalMs?: number): Variant => ({
    label:
      flushIntervalMs === undefined ? 'no spool: straight to InfluxDB' : `no spool, flushIntervalMs ${flushIntervalMs}`,
    async build(dir) {
      const writer = new InfluxPointWriter(
        flushIntervalMs === undefined ? conn : connectInflux({ ...conn.settings, flushIntervalMs }),
      );
      const dl = deadLetters(dir);
      await dl.start();
      return {
        ingest: new Ingest({ inventory, normaliser, writer, deadLetters: dl, logger }),
        finish: async () => (await writer.close(), { drainMs: 0 }),
      };
    },
  });
  return [direct(), direct(0), spooled(true), spooled(false)];
}

const bench: Bench = {
  title: 'the cost of durability: ingest messages/s with the spool (fsync on, off) vs straight to InfluxDB',
  async run() {
    const external = process.env['HUB_INFLUX_URL'];
    const server = external ? undefined : await startInflux();
    const dir = await mkdtemp(join(tmpdir(), 'hub-bench-durability-'));
    try {
      const conn = connectInflux({ url: external ?? server!.url, database: 'bench_durability' });
      await ensureDatabase(conn);
      const registry = await loadRegistry();
      const secret = hashSecret(SECRET);
      const gateways = [{ id: 'gw', secret, devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] }];
      const inventory = new Inventory(inventorySchema.parse({ sites: [{ id: 's', households: 500, gateways }] }));
      const normaliser = createNormaliser({
        models: registry,
        pseudonymKey: 'bench-pseudonym-key-0123456789',
        now: Date.now,
      });
      for (const { via, load } of PATHS) {
        const how =
          via === 'ingest' ? `Ingest.handle, ${load} in flight` : `broker over TCP, mqtt.js QoS 1, window ${load}`;
        process.stdout.write(`\n  ${how} (each variant: up to ${MAX_MESSAGES} messages or ${MAX_MS / 1000} s):\n`);
        const rows: { label: string; value: number; unit: string }[] = [];
        const notes: string[] = [];
        for (const [i, variant] of variants(conn, normaliser, inventory).entries()) {
          const built = await variant.build(join(dir, `${via}-${load}-${i}`));
          const { perSecond, count } =
            via === 'ingest' ? await viaIngest(built.ingest, load) : await viaBroker(built.ingest, inventory, load);
          const { drainMs, perCommit } = await built.finish();
          rows.push({ label: `${variant.label}: acknowledged`, value: perSecond, unit: 'msg/s' });
          if (perCommit !== undefined) {
            notes.push(
              `${variant.label}: ${perCommit.toFixed(1)} messages per group commit; all ${count} in InfluxDB ${drainMs.toFixed(0)} ms after the last PUBACK`,
            );
          }
        }
        printTable(rows, rows[0]!.value, 'no spool');
        for (const n of notes) process.stdout.write(`    ${n}\n`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server?.destroy();
    }
  },
};

export default bench;
