/**
 * aedes settings (docs/benchmarks.md, "aedes settings"): the broker's acknowledged rate, flat out,
 * for a few values of aedes' `concurrency` and `queueLimit` and the socket's `noDelay`, one at a
 * time from the hub's defaults. The broker runs in this process with the hub's real ingest path
 * behind it (normaliser + spool with fsync, src/store; no drainer, so InfluxDB is out of the
 * picture); the load is bench/throughput/loadgen.ts (its own process), busy load: 4 gateways × 25
 * bins, 500 unacknowledged each. `npm run bench -- aedes [--reps N] [--seconds S]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, type BrokerOptions } from '../src/broker/index.ts';
import { Inventory, inventorySchema } from '../src/config/inventory.ts';
import { configSchema } from '../src/config/schema.ts';
import { DeadLetterStore } from '../src/deadletters/store.ts';
import { createLogger } from '../src/log.ts';
import { createNormaliser, loadRegistry } from '../src/normalise/index.ts';
import { generateSecret, hashSecret } from '../src/secret.ts';
import { Ingest } from '../src/store/ingest.ts';
import { Spool } from '../src/store/spool/index.ts';
import type { BenchOptions } from './args.ts';
import { writeDocBlock } from './doc.ts';
import type { Bench } from './harness.ts';
import { formatSpread, spread } from './stats.ts';
import { startLoad } from './throughput/procs.ts';
import { baseTime, inventoryOf, type Workload } from './throughput/workload.ts';

const BUSY: Workload = { gateways: 4, binsPerGateway: 25, window: 500 };
const VARIANTS: { label: string; tuning: NonNullable<BrokerOptions['tuning']> }[] = [
  { label: 'defaults (concurrency 100, queueLimit 42, noDelay on)', tuning: {} },
  { label: 'concurrency 1000', tuning: { concurrency: 1000 } },
  { label: 'concurrency 10', tuning: { concurrency: 10 } },
  { label: 'queueLimit 1000', tuning: { queueLimit: 1000 } },
  { label: 'noDelay off (Nagle)', tuning: { noDelay: false } },
];
const logger = createLogger('silent');
const log = (s: string): boolean => process.stdout.write(`  ${s}\n`);

/** Acknowledged messages per second of one flat-out run with `tuning`. */
async function once(tuning: NonNullable<BrokerOptions['tuning']>, seconds: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-aedes-'));
  const password = generateSecret();
  const inventory = new Inventory(inventorySchema.parse(inventoryOf(BUSY, hashSecret(password, 'fast'))));
  const config = configSchema.parse({ pseudonymKey: 'k'.repeat(32), mqtt: { host: '127.0.0.1', port: 0 } });
  const spool = new Spool({
    dir: join(dir, 'spool'),
    maxBytes: 4 * 2 ** 30,
    fsync: true,
    maxBufferedBytes: 64 << 20,
    backpressureTimeoutMs: 30_000,
    logger,
  });
  await spool.open();
  const deadLetters = new DeadLetterStore({ dir: join(dir, 'dl'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
  await deadLetters.start();
  const normaliser = createNormaliser({ models: await loadRegistry(), pseudonymKey: config.pseudonymKey });
  const ingest = new Ingest({ inventory, normaliser, spool, deadLetters, logger });
  const broker = createBroker({
    config: config.mqtt,
    inventory,
    logger,
    tuning,
    onPublish: async (ctx) => void (await ingest.handle({ ...ctx, receivedAt: Date.now() })),
  });
  const { port } = await broker.start();
  try {
    const load = await startLoad({
      url: `mqtt://127.0.0.1:${port}`,
      password,
      workload: BUSY,
      t0: baseTime(),
      seconds,
      rate: 0,
    });
    const r = await load.go();
    return r.acked / ((r.lastAckMs - r.firstMs) / 1000);
  } finally {
    await broker.stop();
    await spool.close();
    await deadLetters.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(options: BenchOptions): Promise<void> {
  const reps = options.number('reps', 2);
  const seconds = options.number('seconds', 8);
  const rates = new Map<string, number[]>(VARIANTS.map((v) => [v.label, []]));
  // One discarded run first: the broker and normaliser run in this process, and their first run
  // pays for JIT warm-up. Then interleaved, so a change of machine load spreads over every variant.
  await once({}, Math.min(seconds, 3));
  for (let rep = 0; rep < reps; rep++) {
    for (const v of VARIANTS) {
      const rate = await once(v.tuning, seconds);
      rates.get(v.label)!.push(rate);
      log(`${v.label}, rep ${rep + 1}: ${Math.round(rate).toLocaleString('en')} msg/s acknowledged`);
    }
  }
  const base = spread(rates.get(VARIANTS[0]!.label)!).median;
  const md = [
    `Measured ${new Date().toISOString().slice(0, 16)}Z, node ${process.version}: broker + normaliser + spool (fsync) in one process, busy load, ${reps} × ${seconds} s each, interleaved; median (min–max).`,
    '',
    '| aedes / socket setting | acked msg/s | ÷ defaults |',
    '|---|---|---|',
    ...VARIANTS.map((v) => {
      const s = spread(rates.get(v.label)!);
      return `| ${v.label} | ${formatSpread(s)} | ${(s.median / base).toFixed(2)} |`;
    }),
  ].join('\n');
  process.stdout.write(`\n${md}\n`);
  if (options.flag('write-doc')) writeDocBlock('aedes', md);
}

const bench: Bench = {
  title: 'aedes settings: concurrency, queueLimit and noDelay, flat out through broker + spool',
  run,
};

export default bench;
