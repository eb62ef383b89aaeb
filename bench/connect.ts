/**
 * An mqtt.js connect for bench clients that survives a storm (docs/benchmarks.md): a reset,
 * refused or timed-out attempt is counted and retried with exponential backoff and jitter
 * instead of crashing the bench, and later socket errors are counted, not thrown.
 */
import mqtt, { type MqttClient } from 'mqtt';

/** Failures counted across clients. */
export interface ConnectStats {
  /** Attempts that failed and were retried. */
  retries: number;
  /** Errors a connected client reported afterwards. */
  errors: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connects, retrying up to 30 times (50 ms doubling to 5 s, ×0.5–1.5 jitter). */
export async function connectWithRetry(
  url: string,
  login: { username: string; password: string; clientId: string },
  stats: ConnectStats,
): Promise<MqttClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await mqtt.connectAsync(
        url,
        { ...login, reconnectPeriod: 0, connectTimeout: 120_000, clean: true },
        false,
      );
      client.on('error', () => stats.errors++);
      return client;
    } catch (e) {
      stats.retries++;
      if (attempt >= 30) throw e;
      await sleep(Math.min(5_000, 50 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}
