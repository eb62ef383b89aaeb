/**
 * The load generator of `npm run bench -- throughput` (docs/benchmarks.md), run as its own process
 * so its CPU is not the broker's: `node --import tsx bench/throughput/loadgen.ts '<LoadSpec JSON>'`.
 * It connects every gateway with mqtt.js (a failed attempt is counted and retried with backoff,
 * bench/connect.ts), prints `{"event":"ready"}`, waits for `go` on stdin, publishes the workload's
 * readings at QoS 1 (flat out, or paced at `rate` messages per second), waits for every PUBACK and
 * prints `{"event":"done", …}` (a {@link LoadResult}). Each gateway keeps at most `window`
 * unacknowledged.
 */
import { createInterface } from 'node:readline';
import type { MqttClient } from 'mqtt';
import { connectWithRetry } from '../connect.ts';
import { gatewayId, payloadOf, topicOf, type Workload } from './workload.ts';

/** What the parent asks for. */
export interface LoadSpec {
  url: string;
  password: string;
  workload: Workload;
  /** Time of each bin's reading 0 (epoch ms, a whole second). */
  t0: number;
  seconds: number;
  /** Messages per second, all gateways together; 0 = flat out. */
  rate: number;
}

/** What it reports. */
export interface LoadResult {
  event: 'done';
  published: number;
  acked: number;
  failed: number;
  /** Epoch ms of the first publish and the last PUBACK. */
  firstMs: number;
  lastAckMs: number;
  /** Connection attempts that failed (reset, refused, timed out) and were retried. */
  retries: number;
  /** CPU (user + system) this generator used from `go` until the last PUBACK, µs. */
  cpuUs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(spec: LoadSpec): Promise<void> {
  const { workload: w, t0 } = spec;
  const stats = { retries: 0, errors: 0 };
  const clients: MqttClient[] = [];
  for (let g = 0; g < w.gateways; g += 50) {
    const ids = Array.from({ length: Math.min(50, w.gateways - g) }, (_, i) => gatewayId(g + i));
    clients.push(
      ...(await Promise.all(
        ids.map((id) => connectWithRetry(spec.url, { username: id, password: spec.password, clientId: id }, stats)),
      )),
    );
  }
  process.stdout.write(`${JSON.stringify({ event: 'ready', retries: stats.retries })}\n`);
  await new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (l) => l.trim() === 'go' && (rl.close(), resolve()));
  });

  const cpu0 = process.cpuUsage();
  const result: LoadResult = {
    event: 'done',
    published: 0,
    acked: 0,
    failed: 0,
    firstMs: Date.now(),
    lastAckMs: 0,
    retries: stats.retries,
    cpuUs: 0,
  };
  const endAt = performance.now() + spec.seconds * 1000;
  // Per-gateway pacing: each gateway may have sent `rate / gateways` per second so far.
  const perGatewayRate = spec.rate / w.gateways;
  const start = performance.now();
  const gateway = async (g: number): Promise<void> => {
    const client = clients[g]!;
    const next = new Array<number>(w.binsPerGateway).fill(0);
    let turn = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (performance.now() < endAt) {
        if (perGatewayRate > 0) {
          const due = start + (sent / perGatewayRate) * 1000;
          const wait = due - performance.now();
          if (wait > 0) {
            await sleep(wait);
            continue;
          }
        }
        const b = turn++ % w.binsPerGateway;
        const n = next[b]!++;
        sent++;
        result.published++;
        try {
          await client.publishAsync(topicOf(g, b), payloadOf(t0, n), { qos: 1 });
          result.acked++;
          result.lastAckMs = Date.now();
        } catch {
          result.failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: w.window }, worker));
  };
  await Promise.all(clients.map((_, g) => gateway(g)));
  const cpu = process.cpuUsage(cpu0);
  result.cpuUs = cpu.user + cpu.system;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await Promise.all(clients.map((c) => c.endAsync()));
}

if (process.argv[1]?.endsWith('loadgen.ts')) {
  await main(JSON.parse(process.argv[2] ?? '{}') as LoadSpec);
}
