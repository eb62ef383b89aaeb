/**
 * The verified-credential cache of CONNECT (src/broker/auth-cache.ts, `mqtt.authCacheTtl`): a
 * gateway's reconnect with the password scrypt accepted skips scrypt; a wrong one never does.
 * Counting scrypt calls uses the authenticator's injectable `verify` (the real scrypt, wrapped);
 * over real MQTT the broker's stats tell a cache hit from a scrypt check.
 */
import type { Client } from 'aedes';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/broker/auth-cache.ts';
import { createAuthenticator, type Session } from '../../src/broker/auth.ts';
import { RefusalCounter } from '../../src/broker/refusals.ts';
import { Inventory, inventorySchema } from '../../src/config/inventory.ts';
import { createLogger } from '../../src/log.ts';
import { hashSecret, verifySecret } from '../../src/secret.ts';
import {
  connect,
  connectError,
  mosquittoPub,
  mqttConfig,
  refusalLogs,
  SECRETS,
  startBroker,
  telemetry,
  testInventory,
  useBroker,
} from './helpers.ts';

const TOPIC = telemetry('maple-court', 'gw-east', 'bin-01');

/** An authenticator over `inventory` with a counting scrypt and a settable clock. */
function harness(options: { ttlMs?: number; inventory?: Inventory; cache?: AuthCache } = {}) {
  let now = 1_000_000;
  const calls: string[] = [];
  const cache = options.cache ?? new AuthCache({ ttlMs: options.ttlMs ?? 3_600_000, now: () => now });
  const logger = createLogger('silent');
  const refusals = new RefusalCounter(logger);
  const authenticate = createAuthenticator({
    config: mqttConfig(),
    inventory: options.inventory ?? testInventory(),
    logger,
    refusals,
    sessions: new WeakMap<Client, Session>(),
    admitted: new Set(),
    remoteOf: () => '127.0.0.1:1',
    cache,
    verify: (plain, stored) => {
      calls.push(stored);
      return verifySecret(plain, stored);
    },
  });
  /** One CONNECT: true when accepted, else the CONNACK return code. */
  const attempt = (username: string, password?: string): Promise<true | number> =>
    new Promise((resolve) => {
      const client = { conn: new PassThrough(), id: `c-${calls.length}`, closed: false } as unknown as Client;
      authenticate(client, username, password === undefined ? undefined : Buffer.from(password), (err, ok) =>
        resolve(err ? (err as { returnCode: number }).returnCode : ok === true ? true : -1),
      );
    });
  return { attempt, calls, cache, refusals, advance: (ms: number) => void (now += ms) };
}

/** An inventory with gw-east under `secretHash`. */
function inventoryWith(secretHash: string): Inventory {
  return new Inventory(
    inventorySchema.parse({
      sites: [
        {
          id: 'maple-court',
          households: 10,
          gateways: [
            { id: 'gw-east', secret: secretHash, devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] },
          ],
        },
      ],
    }),
  );
}

describe('auth cache (authenticator, counted scrypt calls)', () => {
  it('accepts the second CONNECT with the right secret without calling scrypt', async () => {
    const h = harness();
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(1);
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(1);
    expect(h.cache.stats()).toEqual({ hits: 2, misses: 1, entries: 1 });
  });

  it('sends a wrong secret after a right one to scrypt, refuses it (bad_secret) and keeps the entry', async () => {
    const h = harness();
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(await h.attempt('gw-east', 'wrong')).toBe(4);
    expect(await h.attempt('gw-east', SECRETS['gw-west'])).toBe(4);
    expect(await h.attempt('gw-east')).toBe(4);
    // Three failures, each through scrypt; none evicted the entry the gateway itself uses.
    expect(h.calls).toHaveLength(4);
    expect(h.refusals.snapshot().bad_secret).toBe(3);
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(4);
  });

  it('re-verifies with scrypt once the TTL has passed since the scrypt (a hit does not extend it)', async () => {
    const h = harness({ ttlMs: 60_000 });
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    h.advance(59_999);
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(1);
    h.advance(1);
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(2);
    expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(2);
  });

  it('re-verifies when the inventory hash changed: the old secret is refused by scrypt, the new one accepted', async () => {
    const oldHash = hashSecret('old-east-secret');
    const newHash = hashSecret('new-east-secret');
    const cache = new AuthCache({ ttlMs: 3_600_000 });
    const before = harness({ inventory: inventoryWith(oldHash), cache });
    expect(await before.attempt('gw-east', 'old-east-secret')).toBe(true);
    expect(await before.attempt('gw-east', 'old-east-secret')).toBe(true);
    expect(before.calls).toEqual([oldHash]);
    // The same cache behind an inventory where the gateway's secret was replaced.
    const after = harness({ inventory: inventoryWith(newHash), cache });
    expect(await after.attempt('gw-east', 'old-east-secret')).toBe(4);
    expect(await after.attempt('gw-east', 'new-east-secret')).toBe(true);
    expect(await after.attempt('gw-east', 'new-east-secret')).toBe(true);
    expect(after.calls).toEqual([newHash, newHash]);
  });

  it('with a TTL of 0 every CONNECT runs scrypt and nothing is kept', async () => {
    const h = harness({ ttlMs: 0 });
    for (let i = 0; i < 3; i++) expect(await h.attempt('gw-east', SECRETS['gw-east'])).toBe(true);
    expect(h.calls).toHaveLength(3);
    expect(h.cache.stats()).toEqual({ hits: 0, misses: 0, entries: 0 });
  });

  it('caches only inventory gateways: observers and unknown usernames run scrypt every time', async () => {
    const h = harness();
    for (let i = 0; i < 2; i++) {
      expect(await h.attempt('watcher', SECRETS.watcher)).toBe(true);
      expect(await h.attempt('gw-ghost', SECRETS['gw-east'])).toBe(4);
    }
    expect(h.calls).toHaveLength(4);
    expect(h.cache.stats().entries).toBe(0);
  });

  it('keeps one entry per gateway, the last password scrypt accepted', async () => {
    const h = harness();
    for (const gw of ['gw-east', 'gw-west', 'gw-east', 'gw-west'] as const)
      expect(await h.attempt(gw, SECRETS[gw])).toBe(true);
    expect(h.calls).toHaveLength(2);
    expect(h.cache.stats()).toEqual({ hits: 2, misses: 2, entries: 2 });
  });
});

describe('auth cache over MQTT (real aedes over TCP)', () => {
  const b = useBroker();

  it('a gateway that reconnects with its secret is accepted from the cache (mqtt.js, then mosquitto_pub)', async () => {
    const first = await connect(b.url, { username: 'gw-east', password: SECRETS['gw-east'] });
    await first.endAsync();
    const cold = b.t.broker.stats().authCache;
    expect(cold.entries).toBeGreaterThanOrEqual(1);

    const again = await connect(b.url, { username: 'gw-east', password: SECRETS['gw-east'] });
    b.clients.push(again);
    await again.publishAsync(TOPIC, '{"battery":81}', { qos: 1 });
    const r = await mosquittoPub(b.t.port, ['gw-east', SECRETS['gw-east']], TOPIC, '{"battery":82}').done;
    expect(r.code).toBe(0);
    expect(b.t.published.slice(-2).map((p) => p.payload.toString())).toEqual(['{"battery":81}', '{"battery":82}']);
    // Two more CONNECTs, both hits: no scrypt check was added.
    expect(b.t.broker.stats().authCache).toEqual({ hits: cold.hits + 2, misses: cold.misses, entries: cold.entries });
  });

  it('refuses a wrong secret after a right one exactly as before: CONNACK 4, bad_secret, the same log line', async () => {
    // Before any success for gw-west: the refusal without a cache entry.
    const cold = await mosquittoPub(b.t.port, ['gw-west', 'not-the-secret'], TOPIC, '{}').done;
    const coldLog = refusalLogs(b.t, 'bad_secret').at(-1)!;
    expect(await connectError(b.url, { username: 'gw-west', password: SECRETS['gw-west'] })).toEqual({
      message: 'connected',
    });
    const before = b.t.broker.stats();

    const warm = await mosquittoPub(b.t.port, ['gw-west', 'not-the-secret'], TOPIC, '{}').done;
    const warmLog = refusalLogs(b.t, 'bad_secret').at(-1)!;
    expect(warm.code).toBe(4);
    expect([warm.code, warm.stderr]).toEqual([cold.code, cold.stderr]);
    const same = (l: Record<string, unknown>) => ({
      level: l.level,
      reason: l.reason,
      username: l.username,
      detail: l.detail,
      msg: l.msg,
    });
    expect(same(warmLog)).toEqual(same(coldLog));
    expect(warmLog).not.toBe(coldLog);
    const after = b.t.broker.stats();
    expect(after.refusals.bad_secret).toBe(before.refusals.bad_secret + 1);
    // Checked with scrypt (a miss), and the gateway's own entry is still there.
    expect(after.authCache.misses).toBe(before.authCache.misses + 1);
    expect(after.authCache.hits).toBe(before.authCache.hits);
    expect(await connectError(b.url, { username: 'gw-west', password: SECRETS['gw-west'] })).toEqual({
      message: 'connected',
    });
    expect(b.t.broker.stats().authCache.hits).toBe(before.authCache.hits + 1);
  });

  it('never logs a secret', () => {
    const text = JSON.stringify(b.t.logs);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain('not-the-secret');
  });

  it('with mqtt.authCacheTtl 0 every CONNECT is checked with scrypt', async () => {
    const off = await startBroker({ authCacheTtl: 0 });
    try {
      const offUrl = `mqtt://127.0.0.1:${off.port}`;
      for (let i = 0; i < 2; i++)
        expect(await connectError(offUrl, { username: 'gw-oak', password: SECRETS['gw-oak'] })).toEqual({
          message: 'connected',
        });
      expect(await connectError(offUrl, { username: 'gw-oak', password: 'wrong' })).toMatchObject({ code: 4 });
      expect(off.broker.stats().authCache).toEqual({ hits: 0, misses: 0, entries: 0 });
    } finally {
      await off.stop();
    }
  });

  it('takes the TTL from the broker clock: an expired entry is checked with scrypt again', async () => {
    let now = 0;
    const b = await startBroker({ authCacheTtl: '10m' }, { now: () => now });
    try {
      const bUrl = `mqtt://127.0.0.1:${b.port}`;
      const ok = { username: 'gw-oak', password: SECRETS['gw-oak'] };
      expect(await connectError(bUrl, ok)).toEqual({ message: 'connected' });
      expect(await connectError(bUrl, ok)).toEqual({ message: 'connected' });
      expect(b.broker.stats().authCache).toMatchObject({ hits: 1, misses: 1 });
      now += 10 * 60_000;
      expect(await connectError(bUrl, ok)).toEqual({ message: 'connected' });
      expect(b.broker.stats().authCache).toMatchObject({ hits: 1, misses: 2, entries: 1 });
    } finally {
      await b.stop();
    }
  });
});
