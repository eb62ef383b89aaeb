/**
 * The KPI lease against a real redis-server (Debian's, on a free loopback port, no persistence):
 * the contract suite of lease-contract.ts, which lease.test.ts also runs on the in-memory fake, and
 * what only a real server shows: an unreachable Redis gives no lease (never two schedulers), and a
 * holder whose Redis goes away drops the lease, then takes it again once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KpiLease } from '../../src/kpi/lease.ts';
import { openRedisLeaseStore } from '../../src/kpi/lease-store.ts';
import { createLogger } from '../../src/log.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { leaseContract } from './lease-contract.ts';
import { captureLogger } from './lease-log.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

leaseContract(
  'redis-server',
  () => () => openRedisLeaseStore({ url: redis.url, timeoutMs: 300, logger: createLogger('silent') }),
);

describe('KPI lease on redis-server going away', () => {
  it('no Redis: the start logs it and holds nothing; Redis back on that port: the lease is taken', async () => {
    const down = await startRedis();
    const port = down.port;
    await down.stop();
    const { logger, lines } = captureLogger();
    const lease = new KpiLease({
      open: () => openRedisLeaseStore({ url: `redis://127.0.0.1:${port}`, timeoutMs: 200, logger }),
      key: 'test:down:kpi-lease',
      ttlMs: 600,
      logger,
    });
    let back: RedisServer | undefined;
    try {
      await lease.start();
      expect(lease.stats()).toMatchObject({ held: false, reachable: false, acquired: 0 });
      expect(lines().map((l) => l['msg'])).toContain(
        'KPI lease not held: another hub runs the KPI scheduler, or Redis is unreachable',
      );
      expect(lines().some((l) => l['msg'] === 'KPI lease: Redis did not answer; this hub runs no KPI ticks')).toBe(
        true,
      );
      back = await startRedis(port);
      await vi.waitFor(() => expect(lease.stats()).toMatchObject({ held: true, reachable: true, acquired: 1 }), {
        timeout: 20_000,
        interval: 50,
      });
    } finally {
      await lease.stop({ deadline: Date.now() + 5000 });
      await back?.stop();
    }
  });

  it('a holder whose Redis stops drops the lease at once, and takes it again from a fresh Redis', async () => {
    const own = await startRedis();
    const { logger, lines } = captureLogger();
    const lease = new KpiLease({
      open: () => openRedisLeaseStore({ url: own.url, timeoutMs: 200, logger }),
      key: 'test:restart:kpi-lease',
      ttlMs: 600,
      logger,
    });
    let again: RedisServer | undefined;
    try {
      await lease.start();
      expect(lease.held()).toBe(true);
      await own.stop();
      await vi.waitFor(() => expect(lease.stats()).toMatchObject({ held: false, lost: 1, reachable: false }), {
        timeout: 20_000,
        interval: 20,
      });
      expect(lines().some((l) => l['msg'] === 'KPI lease lost: this hub stops its KPI ticks')).toBe(true);
      again = await startRedis(own.port);
      await vi.waitFor(() => expect(lease.stats()).toMatchObject({ held: true, acquired: 2 }), {
        timeout: 20_000,
        interval: 50,
      });
    } finally {
      await lease.stop({ deadline: Date.now() + 5000 });
      await again?.stop();
    }
  });
});
