/**
 * A fixed load through the hot path, for `node --cpu-prof` (docs/benchmarks-profile.md): N event
 * messages through `Ingest.handle` (normalise, encode, spool with fsync off) with 256 in flight,
 * the drainer writing to a real InfluxDB meanwhile, until InfluxDB holds every point. Prints
 * messages/s acknowledged and end to end, and checks the count in InfluxDB against what was sent.
 *
 *   node --import tsx bench/profile-hotpath.ts [messages] [profile folder]
 *
 * With a folder, the load alone (not start-up: module loading, InfluxDB, hashing the secret) is
 * profiled through node:inspector, as `--cpu-prof` would, into `<folder>/hotpath.cpuprofile`; read
 * it with bench/cpuprofile-top.ts.
 *
 * `HUB_INFLUX_URL` (1.x, no auth) or a private InfluxDB started for the run. Not a `*.bench.ts`:
 * `npm run bench` does not run it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Inventory, inventorySchema } from '../src/config/inventory.ts';
import { DeadLetterStore } from '../src/deadletters/store.ts';
import { createLogger } from '../src/log.ts';
import { createNormaliser, loadRegistry } from '../src/normalise/index.ts';
import { hashSecret } from '../src/secret.ts';
import { connectInflux, ensureDatabase, InfluxPointWriter, query } from '../src/store/index.ts';
import { Ingest, type IngestMessage } from '../src/store/ingest.ts';
import { Drainer, Quarantine, Spool } from '../src/store/spool/index.ts';
import { startInflux } from '../test/helpers/influx.ts';

const N = Number(process.argv[2] ?? 60_000);
const PROFILE_DIR = process.argv[3];
const IN_FLIGHT = 256;
const logger = createLogger('silent');
const T0 = Date.now() - 3_600_000;

function message(i: number): IngestMessage {
  const payload = JSON.stringify({
    id: `b-${i}`,
    ts: new Date(T0 + i).toISOString(),
    type: 'deposit',
    household: `H-${i % 500}`,
    category: 'kitchen',
    weight: 1.2,
    sorting: 'correct',
    auth: 'card',
  });
  return {
    topic: 'community/v1/s/gw/bin-01/event',
    site: 's',
    gateway: 'gw',
    device: 'bin-01',
    channel: 'event',
    payload: Buffer.from(payload),
    receivedAt: Date.now(),
  };
}

async function main(): Promise<void> {
  const external = process.env['HUB_INFLUX_URL'];
  const server = external ? undefined : await startInflux();
  const dir = await mkdtemp(join(tmpdir(), 'hub-profile-'));
  try {
    const database = `profile_${Date.now()}`;
    const conn = connectInflux({ url: external ?? server!.url, database });
    await ensureDatabase(conn);
    const registry = await loadRegistry();
    const gateways = [
      {
        id: 'gw',
        secret: hashSecret('bench-gateway-secret'),
        devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }],
      },
    ];
    const inventory = new Inventory(inventorySchema.parse({ sites: [{ id: 's', households: 500, gateways }] }));
    const normaliser = createNormaliser({
      models: registry,
      pseudonymKey: 'bench-pseudonym-key-0123456789',
      now: Date.now,
    });
    const spool = new Spool({
      dir: join(dir, 'spool'),
      maxBytes: 1 << 30,
      fsync: false,
      maxBufferedBytes: 64 << 20,
      backpressureTimeoutMs: 30_000,
      logger,
    });
    await spool.open();
    const deadLetters = new DeadLetterStore({ dir: join(dir, 'dl'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
    await deadLetters.start();
    const drainConn = connectInflux({ ...conn.settings, maxRetries: 0, flushIntervalMs: 0 });
    const writer = new InfluxPointWriter(drainConn);
    const { batchSize, maxBatchesInFlight } = drainConn.settings;
    const drainer = new Drainer({
      spool,
      writer,
      deadLetters,
      quarantine: new Quarantine({ dir: join(dir, 'quarantine'), fsync: false, deadLetters }),
      logger,
      chunkPoints: batchSize * maxBatchesInFlight,
      batchPoints: batchSize,
      retry: drainConn.settings,
    });
    drainer.start();
    const ingest = new Ingest({ inventory, normaliser, spool, deadLetters, logger });

    const session = PROFILE_DIR ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    let next = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (next < N) await ingest.handle(message(next++));
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const acked = performance.now() - t0;
    await drainer.drained();
    const total = performance.now() - t0;
    if (session && PROFILE_DIR) {
      const { profile } = await session.post('Profiler.stop');
      await mkdir(PROFILE_DIR, { recursive: true });
      await writeFile(join(PROFILE_DIR, 'hotpath.cpuprofile'), JSON.stringify(profile));
      session.disconnect();
    }
    await spool.close();
    await drainer.stop();
    await writer.close();

    const rows = await query(conn, 'SELECT count("event_id") FROM deposit');
    const stored = Number(rows[0]?.values['count'] ?? 0);
    const out = {
      messages: N,
      ackedPerSecond: Math.round((N * 1000) / acked),
      endToEndPerSecond: Math.round((N * 1000) / total),
      storedInInflux: stored,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    if (stored !== N) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server?.destroy();
  }
}

await main();
