/**
 * A gateway publishing a stream of distinct deposit events (`e-0`, `e-1`, …) at QoS 1 with
 * mqtt.js, counting each PUBACK. It keeps its session (`clean: false`) and reconnects by itself,
 * resending what was not acknowledged [MQTT-4.4.0-1], as a real gateway does across a hub restart.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { deadUrl } from '../helpers/influx.ts';
import { depositEvent, GATEWAY, SECRET, startLocalHub, TOPIC, writeHubFiles, type HubFiles } from './helpers.ts';

/** One publishing gateway; see the file comment. */
export class Publisher {
  /** Indices whose PUBACK arrived. */
  readonly acked = new Set<number>();
  /** How many were handed to mqtt.js (indices 0 … published − 1). */
  published = 0;
  #inflight = 0;
  #wakers: (() => void)[] = [];
  #stopped = false;
  #running: Promise<void> | undefined;

  readonly client: MqttClient;

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('error', () => {}); // refused or reset while the hub restarts: it reconnects
  }

  /** Connects to the hub on 127.0.0.1:`port`. */
  static async connect(port: number, clientId = 'durability-gw'): Promise<Publisher> {
    const client = await mqtt.connectAsync(
      `mqtt://127.0.0.1:${port}`,
      {
        username: GATEWAY,
        password: SECRET,
        clientId,
        clean: false,
        reconnectPeriod: 200,
        connectTimeout: 5_000,
        keepalive: 60,
      },
      false,
    );
    return new Publisher(client);
  }

  /**
   * Publishes events one after another, at most `window` unacknowledged at a time and a short
   * pause between them (a steady stream, not one burst), until {@link stop} or `max`.
   */
  start(window = 20, max = 100_000, pauseMs = 2): void {
    this.#running = (async () => {
      while (!this.#stopped && this.published < max) {
        while (this.#inflight >= window && !this.#stopped) await new Promise<void>((r) => this.#wakers.push(r));
        if (this.#stopped) break;
        const i = this.published++;
        this.#inflight++;
        this.client.publish(TOPIC, depositEvent(i), { qos: 1 }, (err) => {
          this.#inflight--;
          if (!err) this.acked.add(i);
          for (const wake of this.#wakers.splice(0)) wake();
        });
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  /** Publishes no more; what was published is still resent until acknowledged. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#wakers.splice(0)) wake();
    await this.#running;
  }

  /** Waits (bounded) until `count` events are acknowledged. */
  async waitAcked(count: number, ms: number): Promise<void> {
    await expect.poll(() => this.acked.size, { timeout: ms, message: `PUBACKs` }).toBeGreaterThanOrEqual(count);
  }

  /** Unacknowledged messages held by mqtt.js right now. */
  get inflight(): number {
    return this.#inflight;
  }

  async end(): Promise<void> {
    await this.stop();
    await this.client.endAsync(true);
  }
}

/**
 * A hub takes `count` deposit events while InfluxDB is unreachable, then stops: the events are in
 * its spool only, for a test to damage and the next hub on `files.dir` to replay.
 */
export async function spoolWhileInfluxDown(database: string, count: number): Promise<HubFiles> {
  const files = await writeHubFiles({ influxUrl: await deadUrl(), database });
  const hub = await startLocalHub(files);
  const pub = await Publisher.connect(hub.port);
  try {
    pub.start(10, count);
    await pub.waitAcked(count, 30_000);
  } finally {
    await hub.stop(); // first: a stopping broker records no "gateway offline" after the last event
    await pub.end();
  }
  return files;
}
