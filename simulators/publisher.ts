/**
 * Publishes a scenario's stream to a hub over MQTT (docs/contract.md §2): one mqtt.js connection
 * per gateway (username = gateway id, password = its secret, Last Will `offline` retained on its
 * status topic), QoS 1 acknowledgements counted, bounded in-flight windows, pacing in simulated
 * time, and the connection faults: a `drop` waits for the gateway's in-flight messages, then
 * destroys the socket without DISCONNECT, so the hub sees a lost connection and publishes the Will.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Ledger } from './ledger.ts';
import type { Control, Item, Message } from './messages.ts';
import type { Scenario, SimGateway } from './scenario/load.ts';

/** Counters of a run, for the status line and the summary. */
export interface PublishStats {
  dispatched: number;
  acked: number;
  /** Messages not acknowledged (connection lost or refused before the PUBACK). */
  unconfirmed: number;
  /** CONNECTs the hub refused or that failed. */
  connectFailures: number;
  connected: number;
  inFlight: number;
  /** Simulated time of the last dispatched item. */
  simMs: number;
  /** Wall ms from the start until every gateway was connected at once (first time), if it happened. */
  allConnectedAfterMs?: number;
}

/** Options of {@link publish}. */
export interface PublishOptions {
  url: string;
  scenario: Scenario;
  ledger: Ledger;
  /** Simulated ms per real ms; Infinity = as fast as the hub acknowledges. */
  speed: number;
  /** Never publish an item before its simulated time has come on the wall clock (`--follow`). */
  realTime: boolean;
  /** Stop after this many messages. */
  limit?: number;
  signal?: AbortSignal;
  /** Wall clock, for pacing only (never in generated content). */
  now?: () => number;
}

/** A message handed to mqtt.js and not yet acknowledged. */
interface Pending {
  m: Message;
  /** The connection it was published on (unset while it waits its turn). */
  client?: MqttClient;
  settle: (acked: boolean) => void;
  done: Promise<void>;
}

interface Lane {
  gw: SimGateway;
  client?: MqttClient;
  connections: number;
  /** Work of this gateway, in stream order. */
  tail: Promise<void>;
  pending: Set<Pending>;
  failed: boolean;
}

/** Publish `items` and settle each message in the ledger; resolves with the final counters. */
export async function publish(
  items: Iterable<Item>,
  o: PublishOptions,
  stats: PublishStats = newStats(),
): Promise<PublishStats> {
  const now = o.now ?? Date.now;
  const lanes = new Map<string, Lane>();
  for (const s of o.scenario.sites)
    for (const gw of s.gateways)
      lanes.set(gw.id, { gw, connections: 0, tail: Promise.resolve(), pending: new Set(), failed: false });
  const { maxInFlight, maxInFlightPerGateway, connectConcurrency } = o.scenario.publish;
  const connecting = semaphore(connectConcurrency);
  let wake: (() => void) | undefined;
  const settledOne = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let wallStart: number | undefined;
  let simStart = 0;

  const connect = async (lane: Lane): Promise<void> => {
    await connecting(async () => {
      const statusTopic = `${o.scenario.hub.rootTopic}/${lane.gw.site}/${lane.gw.id}/status`;
      for (let attempt = 1; ; attempt++) {
        try {
          lane.client = await mqtt.connectAsync(
            o.url,
            {
              username: lane.gw.id,
              password: lane.gw.secret,
              clientId: `sim-${lane.gw.id}-${++lane.connections}`,
              clean: true,
              reconnectPeriod: 0,
              connectTimeout: 120_000,
              keepalive: 60,
              protocolVersion: 4,
              will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
            },
            false,
          );
          stats.connected++;
          if (stats.connected === lanes.size && stats.allConnectedAfterMs === undefined)
            stats.allConnectedAfterMs = now() - (wallStart ?? now());
          const client = lane.client;
          client.on('error', () => undefined); // reported through 'close' and unacknowledged messages
          client.once('close', () => {
            stats.connected--;
            if (lane.client === client) lane.client = undefined;
            // its PUBACK can no longer come
            for (const p of [...lane.pending]) if (p.client === client) p.settle(false);
          });
          return;
        } catch (e) {
          stats.connectFailures++;
          const code = (e as { code?: number }).code;
          if (code === 4 || code === 5 || attempt >= 3 || o.signal?.aborted) {
            lane.failed = true;
            return;
          }
          await sleep(500 * attempt, o.signal);
        }
      }
    });
  };

  const send = (lane: Lane, m: Message): Promise<void> => {
    let resolve!: () => void;
    const entry: Pending = {
      m,
      done: new Promise<void>((r) => (resolve = r)),
      settle: (acked: boolean) => {
        if (!lane.pending.delete(entry)) return; // settled already
        stats.inFlight--;
        if (acked) stats.acked++;
        else stats.unconfirmed++;
        o.ledger.settled(m, acked);
        settledOne();
        resolve();
      },
    };
    stats.inFlight++;
    lane.pending.add(entry);
    const run = async (): Promise<void> => {
      if (!lane.client && !lane.failed) await connect(lane); // lost unexpectedly: connect again
      const client = lane.client;
      if (!client) return entry.settle(false);
      entry.client = client;
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => entry.settle(!err));
    };
    lane.tail = lane.tail.then(run).catch(() => entry.settle(false));
    return entry.done;
  };

  const control = (lane: Lane, c: Control): void => {
    // The messages dispatched before this control (later ones queue behind it on the lane).
    const before = [...lane.pending].map((p) => p.done);
    lane.tail = lane.tail.then(async () => {
      if (c.type === 'connect') return lane.client ? undefined : connect(lane);
      // Drain first: a message in flight when the socket dies would be neither acknowledged nor known lost.
      await Promise.all(before);
      const client = lane.client;
      if (!client) return;
      lane.client = undefined;
      if (c.type === 'close') await client.endAsync();
      else {
        await new Promise<void>((resolve) => {
          client.once('close', () => resolve());
          client.stream.destroy(); // no DISCONNECT: the hub publishes the Will [MQTT-3.1.2-8]
        });
      }
    });
  };

  const inflight = new Set<Promise<void>>();
  for (const item of items) {
    if (o.signal?.aborted) break;
    if (item.type === 'message' && o.limit !== undefined && stats.dispatched >= o.limit) break;
    // Pacing in simulated time (README, "Simulated time").
    wallStart ??= now();
    if (stats.dispatched === 0) simStart = item.at;
    let wait = Number.isFinite(o.speed) ? wallStart + (item.at - simStart) / o.speed - now() : 0;
    if (o.realTime) wait = Math.max(wait, item.at - now());
    if (wait > 0) await sleep(wait, o.signal);
    const lane = lanes.get(item.gateway)!;
    stats.simMs = item.at;
    o.ledger.dispatched(item);
    if (item.type !== 'message') {
      control(lane, item);
      continue;
    }
    while (stats.inFlight >= maxInFlight || lane.pending.size >= maxInFlightPerGateway)
      await new Promise<void>((r) => (wake = r));
    stats.dispatched++;
    const p = send(lane, item);
    inflight.add(p);
    void p.then(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  await Promise.all([...lanes.values()].map((l) => l.tail.catch(() => undefined)));
  // Stopped early (limit or signal): the gateways leave cleanly.
  await Promise.all([...lanes.values()].map(async (l) => l.client?.endAsync().catch(() => undefined)));
  return stats;
}

/** Zeroed counters. */
export function newStats(): PublishStats {
  return { dispatched: 0, acked: 0, unconfirmed: 0, connectFailures: 0, connected: 0, inFlight: 0, simMs: 0 };
}

/** At most `n` tasks at once. */
function semaphore(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** Sleep `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
