/**
 * The KPI lease (src/kpi/lease.ts) on the in-memory fake store: the contract suite that
 * lease-redis.test.ts runs on redis-server, then the rules that need a controlled clock and timer
 * (no waiting at all): a failed or hung renewal drops the lease at once, an unreachable store at
 * start gives no lease and no error, a stop releases only this hub's lease.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { KpiLease, kpiLeaseKey, leaseOwner, redisKpiLease } from '../../src/kpi/lease.ts';
import { createLogger } from '../../src/log.ts';
import { leaseContract } from './lease-contract.ts';
import { FakeLeaseStore } from './lease-fake.ts';
import { captureLogger } from './lease-log.ts';

const shared = new FakeLeaseStore();
leaseContract('in-memory fake', () => () => Promise.resolve(shared));

const KEY = kpiLeaseKey('community/v1');
const STOP = {
  get deadline() {
    return Date.now() + 60_000;
  },
};

/** A lease on `store` whose clock and renewal timer the test drives. */
function driven(store: FakeLeaseStore, clock: { now: number }, owner = 'hub-a') {
  const { logger, lines } = captureLogger();
  let taken = 0;
  let timer: { ms: number; stopped: boolean } | undefined;
  const lease = new KpiLease({
    open: () => Promise.resolve(store),
    key: KEY,
    owner,
    ttlMs: 30_000,
    logger,
    now: () => clock.now,
    onAcquired: () => taken++,
    every: (ms) => {
      timer = { ms, stopped: false };
      return { stop: () => void (timer!.stopped = true) };
    },
  });
  return { lease, lines, taken: () => taken, timer: () => timer };
}

describe('the cluster section of hub.yaml', () => {
  const base = { pseudonymKey: 'x'.repeat(16) };

  it('is off by default, with a 30 s lease', () => {
    expect(configSchema.parse(base).cluster).toEqual({ leaseTtl: 30_000 });
    const on = configSchema.parse({ ...base, cluster: { redisUrl: 'rediss://u:p@redis:6380/2', leaseTtl: '9s' } });
    expect(on.cluster).toEqual({ redisUrl: 'rediss://u:p@redis:6380/2', leaseTtl: 9000 });
  });

  it.each([
    [{ redisUrl: 'http://redis:6379' }, 'cluster.redisUrl', 'must be a redis:// or rediss:// URL'],
    [{ redisUrl: 'redis' }, 'cluster.redisUrl', 'must be a redis:// or rediss:// URL'],
    [{ leaseTtl: '500ms' }, 'cluster.leaseTtl', 'must be at least 1s'],
    [{ leaseTtl: 'soon' }, 'cluster.leaseTtl', 'is not a duration'],
  ])('refuses %j: %s %s', (cluster, path, message) => {
    const r = configSchema.safeParse({ ...base, cluster });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toContain(message);
  });
});

describe('KPI lease', () => {
  it('its key is per topic root and its owner unique per process start', () => {
    expect(KEY).toBe('community-hub:community/v1:kpi-lease');
    expect(leaseOwner()).not.toBe(leaseOwner());
    expect(leaseOwner()).toContain(`:${process.pid}:`);
  });

  it('exists only with cluster.redisUrl and kpi.enabled', () => {
    const base = { mqtt: { rootTopic: 'r' }, kpi: { enabled: true } };
    const o = { logger: createLogger('silent'), onAcquired: () => undefined };
    expect(redisKpiLease({ ...o, config: { ...base, cluster: { leaseTtl: 30_000 } } })).toBeUndefined();
    const off = { ...base, kpi: { enabled: false }, cluster: { redisUrl: 'redis://127.0.0.1:1', leaseTtl: 30_000 } };
    expect(redisKpiLease({ ...o, config: off })).toBeUndefined();
    const on = redisKpiLease({
      ...o,
      config: { ...base, cluster: { redisUrl: 'redis://127.0.0.1:1', leaseTtl: 30_000 } },
    });
    expect(on?.stats()).toMatchObject({ key: 'community-hub:r:kpi-lease', held: false });
    expect(on?.renewMs).toBe(10_000);
  });

  it('takes a free lease at start, renews every third of the TTL, and tells the KPI stage once', async () => {
    const clock = { now: 0 };
    const store = new FakeLeaseStore({ now: () => clock.now });
    const a = driven(store, clock);
    await a.lease.start();
    expect(a.timer()?.ms).toBe(10_000);
    expect(a.lease.held()).toBe(true);
    expect(a.taken()).toBe(1);
    expect(a.lines().map((l) => l['msg'])).toContain('KPI lease held: this hub runs the KPI scheduler');
    for (let i = 1; i <= 5; i++) {
      clock.now = i * 10_000;
      await a.lease.renew();
      expect(a.lease.held()).toBe(true);
    }
    expect(a.taken()).toBe(1);
    expect(store.calls.filter((c) => c === 'extend')).toHaveLength(5);
    await a.lease.stop(STOP);
    expect(a.timer()?.stopped).toBe(true);
    expect(await store.holder(KEY)).toBeNull();
    expect(store.closed).toBe(1);
  });

  it('a failed renewal drops the lease at once; once Redis answers and the key is still its own, it extends it', async () => {
    const clock = { now: 0 };
    const store = new FakeLeaseStore({ now: () => clock.now });
    const a = driven(store, clock);
    await a.lease.start();
    store.down = true;
    clock.now = 10_000;
    await a.lease.renew();
    expect(a.lease.stats()).toMatchObject({ held: false, lost: 1, reachable: false });
    const lost = a.lines().find((l) => l['msg'] === 'KPI lease lost: this hub stops its KPI ticks');
    expect(lost).toMatchObject({ why: 'its renewal failed', owner: 'hub-a' });
    clock.now = 20_000;
    await a.lease.renew(); // still down: one warning per outage
    expect(
      a.lines().filter((l) => l['msg'] === 'KPI lease: Redis did not answer; this hub runs no KPI ticks'),
    ).toHaveLength(1);
    store.down = false;
    clock.now = 25_000; // the key (renewed at 0 for 30 s) is still hub-a's: SET NX fails, extend works
    await a.lease.renew();
    expect(a.lease.stats()).toMatchObject({ held: true, acquired: 2, reachable: true });
    expect(a.taken()).toBe(2);
  });

  it('a renewal that hangs past the TTL: held() turns false without its answer, and a late success does not revive it', async () => {
    const clock = { now: 0 };
    const store = new FakeLeaseStore({ now: () => clock.now });
    const a = driven(store, clock);
    await a.lease.start();
    store.hang = true;
    clock.now = 10_000;
    const pending = a.lease.renew();
    clock.now = 29_999;
    expect(a.lease.held()).toBe(true);
    clock.now = 30_000; // the TTL of the renewal sent at 0 ran out
    expect(a.lease.held()).toBe(false);
    // Meanwhile hub B takes the expired key.
    store.hang = false;
    const b = driven(store, clock, 'hub-b');
    await b.lease.start();
    expect(b.lease.held()).toBe(true);
    store.unhang(); // A's extend now runs and finds B's key
    await pending;
    expect(a.lease.stats()).toMatchObject({ held: false, lost: 1 });
    await a.lease.stop(STOP);
    expect(await store.holder(KEY)).toBe('hub-b'); // A's stop released nothing of B's
  });

  it('Redis unreachable at start: the start succeeds, holds nothing, and takes the lease once Redis answers', async () => {
    const clock = { now: 0 };
    const store = new FakeLeaseStore({ now: () => clock.now });
    store.down = true;
    const a = driven(store, clock);
    await a.lease.start();
    expect(a.lease.stats()).toMatchObject({ held: false, reachable: false, acquired: 0 });
    expect(a.taken()).toBe(0);
    store.down = false;
    clock.now = 10_000;
    await a.lease.renew();
    expect(a.lease.held()).toBe(true);
    expect(a.taken()).toBe(1);
  });

  it('a stop before the store opened, a second stop, and a renewal after the stop do nothing', async () => {
    const store = new FakeLeaseStore();
    const a = driven(store, { now: 0 });
    await a.lease.stop(STOP);
    await a.lease.stop(STOP);
    await a.lease.renew();
    expect(store.calls).toEqual([]);
    const b = driven(store, { now: 0 }, 'hub-b');
    await b.lease.start();
    await b.lease.stop(STOP);
    await b.lease.stop(STOP);
    await b.lease.renew();
    expect(store.calls).toEqual(['acquire', 'release']);
    // A lease that never held the key still asks for a compare-and-delete at its stop (an attempt in
    // flight may have taken it), which leaves another's key alone.
    const c = driven(store, { now: 0 }, 'hub-c');
    expect(await store.acquire(KEY, 'hub-d', 60_000)).toBe(true);
    await c.lease.start();
    expect(c.lease.held()).toBe(false);
    await c.lease.stop(STOP);
    expect(await store.holder(KEY)).toBe('hub-d');
    expect(store.closed).toBe(2);
  });

  it('a handed-over member that does not parse is dropped with a warning, the others taken', async () => {
    const clock = { now: 0 };
    const store = new FakeLeaseStore({ now: () => clock.now });
    const a = driven(store, clock);
    await a.lease.start();
    await store.addMembers(`${KEY}:late-marks`, ['not json', JSON.stringify(['elm', 'day', '2026-11-25'])]);
    expect(await a.lease.take(10)).toEqual([{ site: 'elm', kind: 'day', date: '2026-11-25' }]);
    expect(a.lines().find((l) => l['msg'] === 'a handed-over late-data mark does not parse; dropped')).toMatchObject({
      member: 'not json',
    });
  });

  it('a stop while the store is still opening closes it once it opens, and never renews', async () => {
    const store = new FakeLeaseStore();
    let opened: (s: FakeLeaseStore) => void = () => undefined;
    const lease = new KpiLease({
      open: () => new Promise((resolve) => (opened = resolve)),
      key: KEY,
      ttlMs: 30_000,
      logger: createLogger('silent'),
    });
    const starting = lease.start();
    await lease.stop(STOP);
    opened(store);
    await starting;
    expect(store.closed).toBe(1);
    expect(store.calls).toEqual([]);
    expect(lease.held()).toBe(false);
  });
});
