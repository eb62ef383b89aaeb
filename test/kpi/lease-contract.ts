/**
 * The KPI lease's contract (src/kpi/lease.ts, src/kpi/lease-store.ts), run by lease.test.ts on the
 * in-memory fake and by lease-redis.test.ts on a real redis-server: the store's three commands
 * are atomic compare-and-act on one key, and two {@link KpiLease}s on that key never both hold it.
 * Real timers with short TTLs; every wait is a bounded poll, nothing asserts a duration.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KpiLease } from '../../src/kpi/lease.ts';
import type { LeaseStore } from '../../src/kpi/lease-store.ts';
import { createLogger } from '../../src/log.ts';
import type { Stoppable } from '../../src/kpi/scheduler-types.ts';

/** Opens a new connection to the store under test (each lease gets its own, as each hub does). */
export type OpenStore = () => Promise<LeaseStore>;

const WAIT = { timeout: 20_000, interval: 20 };

export function leaseContract(label: string, open: () => OpenStore): void {
  describe(`KPI lease contract: ${label}`, () => {
    const opened: LeaseStore[] = [];
    const leases: KpiLease[] = [];
    const store = async (): Promise<LeaseStore> => {
      const s = await open()();
      opened.push(s);
      return s;
    };
    const key = (): string => `test:${randomBytes(4).toString('hex')}:kpi-lease`;
    const lease = (
      k: string,
      owner: string,
      ttlMs: number,
      every?: (ms: number, run: () => Promise<unknown>) => Stoppable,
    ) => {
      const taken: string[] = [];
      const l = new KpiLease({
        open: store,
        key: k,
        owner,
        ttlMs,
        logger: createLogger('silent'),
        onAcquired: () => taken.push(owner),
        ...(every ? { every } : {}),
      });
      leases.push(l);
      return { l, taken };
    };
    afterEach(async () => {
      for (const l of leases.splice(0)) await l.stop({ deadline: Date.now() + 5000 });
      for (const s of opened.splice(0)) await s.close();
    });

    it('SET NX takes a free key once; extend and release act only for the owner', async () => {
      const s = await store();
      const k = key();
      expect(await s.acquire(k, 'a', 10_000)).toBe(true);
      expect(await s.acquire(k, 'b', 10_000)).toBe(false);
      expect(await s.holder(k)).toBe('a');
      expect(await s.extend(k, 'b', 10_000)).toBe(false);
      expect(await s.release(k, 'b')).toBe(false);
      expect(await s.holder(k)).toBe('a');
      expect(await s.extend(k, 'a', 10_000)).toBe(true);
      expect(await s.release(k, 'a')).toBe(true);
      expect(await s.holder(k)).toBeNull();
      expect(await s.extend(k, 'a', 10_000)).toBe(false); // released: nothing to extend
      expect(await s.acquire(k, 'b', 10_000)).toBe(true);
      expect(await s.holder(k)).toBe('b');
    });

    it('a key not extended expires, and another owner can take it then', async () => {
      const s = await store();
      const k = key();
      expect(await s.acquire(k, 'a', 150)).toBe(true);
      await vi.waitFor(async () => expect(await s.acquire(k, 'b', 10_000)).toBe(true), WAIT);
      expect(await s.holder(k)).toBe('b');
      expect(await s.extend(k, 'a', 10_000)).toBe(false);
    });

    it('two leases on one key: exactly one holds it; a stop releases it and the other takes over', async () => {
      const k = key();
      const a = lease(k, 'hub-a', 900);
      await a.l.start();
      expect(a.l.held()).toBe(true);
      expect(a.taken).toEqual(['hub-a']);
      const b = lease(k, 'hub-b', 900);
      await b.l.start();
      expect(b.l.held()).toBe(false);
      // Several renewal rounds: still exactly one holder.
      await vi.waitFor(() => expect(a.l.stats().held && !b.l.stats().held).toBe(true), WAIT);
      const s = await store();
      expect(await s.holder(k)).toBe('hub-a');
      await a.l.stop({ deadline: Date.now() + 5000 });
      expect(a.l.held()).toBe(false);
      await vi.waitFor(() => expect(b.l.held()).toBe(true), WAIT);
      expect(b.taken).toEqual(['hub-b']);
      expect(await s.holder(k)).toBe('hub-b');
      expect(a.l.stats()).toMatchObject({ acquired: 1, lost: 0 });
    });

    it('a holder that dies without releasing: its lease lapses on its own, and the other takes it', async () => {
      const k = key();
      // Hub A's renewals stop as at a SIGKILL: its timer is stopped, nothing is released.
      let dead = false;
      const a = lease(k, 'hub-a', 600, (ms, run) => {
        const t = setInterval(() => void (dead ? undefined : run()), ms);
        return { stop: () => clearInterval(t) };
      });
      await a.l.start();
      expect(a.l.held()).toBe(true);
      const b = lease(k, 'hub-b', 600);
      await b.l.start();
      expect(b.l.held()).toBe(false);
      dead = true;
      await vi.waitFor(() => expect(b.l.held()).toBe(true), WAIT);
      // A never heard of it, yet counts its lease as gone: its TTL ran out since its last renewal.
      expect(a.l.held()).toBe(false);
      const s = await store();
      expect(await s.holder(k)).toBe('hub-b');
    });

    it('late-data marks handed over by one hub are taken by another, once each, at most the limit at a time', async () => {
      const k = key();
      const a = lease(k, 'hub-a', 60_000);
      const b = lease(k, 'hub-b', 60_000);
      await expect(b.l.push([{ site: 's', kind: 'day', date: '2026-11-25' }])).rejects.toThrow(/not running/);
      await a.l.start();
      await b.l.start();
      expect(await a.l.take(10)).toEqual([]);
      const m1 = { site: 'maple-court', kind: 'day' as const, date: '2026-11-25' };
      const m2 = { site: 'maple-court', kind: 'week' as const, date: '2026-11-23' };
      const m3 = { site: 'elm', kind: 'month' as const, date: '2026-10-01' };
      await b.l.push([m1, m2]);
      await b.l.push([m1, m3]); // m1 again: one mark
      const first = await a.l.take(2);
      expect(first).toHaveLength(2);
      const rest = await a.l.take(10);
      const sort = (ms: unknown[]) => ms.map((m) => JSON.stringify(m)).sort();
      expect(sort([...first, ...rest])).toEqual(sort([m1, m2, m3]));
      expect(await a.l.take(10)).toEqual([]);
    });

    it('a holder whose key another owner took loses the lease at its next renewal', async () => {
      const k = key();
      const a = lease(k, 'hub-a', 900);
      await a.l.start();
      expect(a.l.held()).toBe(true);
      const s = await store();
      expect(await s.release(k, 'hub-a')).toBe(true); // as if it had expired…
      expect(await s.acquire(k, 'intruder', 60_000)).toBe(true); // …and another took it
      await vi.waitFor(() => expect(a.l.stats()).toMatchObject({ held: false, lost: 1 }), WAIT);
      // It keeps trying, and never takes a lease that is another's.
      await a.l.renew();
      expect(a.l.held()).toBe(false);
      expect(await s.holder(k)).toBe('intruder');
      // A stop releases nothing that is not its own.
      await a.l.stop({ deadline: Date.now() + 5000 });
      expect(await s.holder(k)).toBe('intruder');
    });
  });
}
