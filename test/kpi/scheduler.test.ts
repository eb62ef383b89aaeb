/**
 * The KPI scheduler (docs/contract.md §5): refreshes the current period, closes the one just ended
 * after `kpi.closeDelay`, publishes retained results (section 2), never overlaps, and retries after
 * a failure. Ticks are called directly with a controlled clock: no timers, no timing assertions.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HubError } from '../../src/errors.ts';
import { KPI_IDS, createKpiScheduler, type KpiSchedulerDeps } from '../../src/kpi/index.ts';
import type { HandedMark, MarksHandOff } from '../../src/kpi/late-handoff.ts';
import { createLogger } from '../../src/log.ts';
import {
  connectInflux,
  MemoryPointWriter,
  type InfluxConnection,
  type InfluxPointWriter,
} from '../../src/store/index.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedSettings } from '../helpers/influx-shared.ts';
import { deposit, freshDatabase, inventoryOf, kpiConfig, storedKpis } from './helpers.ts';

let conn: InfluxConnection;
let writer: InfluxPointWriter;
let database: string;
const inventory = inventoryOf({ id: 'elm', households: 2, devices: [['bin-01', 'waste-bin']] });

beforeAll(async () => {
  ({ conn, writer, database } = await freshDatabase('kpi_sched'));
  await writer.write([deposit('elm', 'bin-01', 'h1', 'correct', '2026-11-27T09:00:00+08:00')]);
});
afterAll(() => writer.close());

/** A scheduler over `elm` with a settable clock, captured logs and published messages. */
function setup(overrides: Partial<KpiSchedulerDeps> = {}, kpi: Record<string, unknown> = { periods: ['day'] }) {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => (logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()),
  });
  const published: Array<{ topic: string; payload: Record<string, unknown>; retain: boolean }> = [];
  const clock = { now: Date.parse('2026-11-26T16:05:00Z') }; // 2026-11-27 00:05 local
  const deps: KpiSchedulerDeps = {
    conn,
    writer,
    inventory,
    // A one-day reach keeps the start's backfill out of these tests (late-data.test.ts tests it).
    config: { kpi: kpiConfig({}, kpi), mqtt: { rootTopic: 'community/v1' }, ingest: { maxAge: 86_400_000 } },
    logger: createLogger('debug', sink),
    publish: (topic, payload, retain) =>
      void published.push({ topic, payload: JSON.parse(payload) as Record<string, unknown>, retain }),
    now: () => clock.now,
    ...overrides,
  };
  return { scheduler: createKpiScheduler(deps), deps, clock, logs, published };
}

describe('KPI scheduler', () => {
  it('tells onPeriodComputed of the period it closes, and a listener that throws fails nothing', async () => {
    const told: string[] = [];
    const { scheduler, clock, logs } = setup({
      onPeriodComputed: (e) => {
        told.push(`${e.site} ${e.period.kind} ${e.period.date} ${e.reason}`);
        throw new Error('listener broke');
      },
    });
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 0, failed: 0 });
    expect(told).toEqual([]); // computed, not closed: no report yet
    clock.now = Date.parse('2026-11-26T16:12:00Z'); // 00:12 local: the day closes
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 1, failed: 0 });
    expect(told).toEqual(['elm day 2026-11-26 close']);
    expect(logs.some((l) => l['msg'] === 'onPeriodComputed failed')).toBe(true);
    expect(scheduler.stats()).toMatchObject({ closed: 1, failures: 0, lastRunOk: true });
  });

  it('refreshes the current period, closes the previous one after the delay, and retries after a failure', async () => {
    const { scheduler, deps, clock, logs, published } = setup();
    // 00:05 local: yesterday ended 5 minutes ago (< closeDelay 10m): computed, not yet closed.
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 0, failed: 0 });
    expect(published.map((m) => m.topic)).toContain('community/v1/elm/kpi/sorting_coverage');
    // The current day on {kpi}, the day just ended on {kpi}/previous, all retained.
    expect(published).toHaveLength(2 * KPI_IDS.length);
    const current = published.filter((m) => !m.topic.endsWith('/previous'));
    expect(current).toHaveLength(KPI_IDS.length);
    expect(
      current.every(
        (m) =>
          m.retain &&
          m.payload['period'] === 'day' &&
          m.payload['start'] === '2026-11-27T00:00:00+08:00' &&
          m.payload['end'] === '2026-11-28T00:00:00+08:00' &&
          m.payload['complete'] === false &&
          m.payload['met'] === null,
      ),
    ).toBe(true);
    const previous = published.filter((m) => m.topic.endsWith('/previous'));
    expect(previous.map((m) => m.topic)).toContain('community/v1/elm/kpi/sorting_coverage/previous');
    expect(
      previous.every(
        (m) => m.retain && m.payload['start'] === '2026-11-26T00:00:00+08:00' && m.payload['complete'] === true,
      ),
    ).toBe(true);
    // Complete: `met` says whether the target was met (0 of 2 households: not met).
    expect(previous.find((m) => m.payload['kpi'] === 'sorting_coverage')!.payload).toMatchObject({
      met: false,
      value: 0,
    });

    clock.now = Date.parse('2026-11-26T16:12:00Z'); // 00:12 local: closed now
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 1, failed: 0 });
    // closed stays closed
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 1, closed: 0, failed: 0 });

    // The next day, InfluxDB down: the run fails, is logged, writes nothing, closes nothing.
    clock.now = Date.parse('2026-11-27T16:11:00Z'); // 2026-11-28 00:11 local
    deps.conn = connectInflux(sharedSettings({ url: await deadUrl(), database }));
    const before = published.length;
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 0, closed: 0, failed: 1 });
    expect(published).toHaveLength(before);
    expect(logs.find((l) => l['msg'] === 'KPI computation failed; retried at the next tick')).toMatchObject({
      site: 'elm',
      period: 'day 2026-11-27',
      retryable: true,
    });

    // Back up: the next tick closes 2026-11-27 (with its deposit) and refreshes 2026-11-28.
    deps.conn = conn;
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 1, failed: 0 });
    const stored = (await storedKpis(conn, 'elm', 'day')).filter((p) => p['kpi'] === 'sorting_coverage');
    expect(stored.map((p) => [p['time'], p['numerator'], p['complete']])).toEqual([
      [Date.parse('2026-11-25T16:00:00Z'), 0, true],
      [Date.parse('2026-11-26T16:00:00Z'), 1, true],
      [Date.parse('2026-11-27T16:00:00Z'), 0, false],
    ]);
  });

  it('never overlaps: a tick during a slow run is skipped', async () => {
    const slow = new MemoryPointWriter();
    const { scheduler, logs } = setup({ writer: slow });
    slow.pause(); // writes hang, as a slow InfluxDB would
    const first = scheduler.tick();
    await vi.waitFor(() => expect(slow.stats().queuedPoints).toBeGreaterThan(0));
    expect(await scheduler.tick()).toEqual({ skipped: true, computed: 0, closed: 0, failed: 0 });
    expect(logs.some((l) => l['msg'] === 'a KPI run is still in progress; this tick is skipped')).toBe(true);
    slow.resume();
    expect(await first).toMatchObject({ skipped: false, failed: 0 });
    expect(await scheduler.tick()).toMatchObject({ skipped: false }); // and runs again once it is done
  });

  it("after start(), closes nothing until closeDelay has passed: a restarted hub first receives the gateways' backlogs", async () => {
    const { scheduler, clock } = setup({
      schedule: () => ({ stop: () => undefined }),
      every: () => ({ stop: () => undefined }),
    });
    clock.now = Date.parse('2026-11-27T04:00:00Z'); // hours after the previous local day ended
    scheduler.start(); // runs a first tick at once (in the background)
    /** The next tick that is not skipped because the start's own run is still going. */
    const nextRun = async () => {
      for (let i = 0; i < 500; i++) {
        const r = await scheduler.tick();
        if (!r.skipped) return r;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error('the first run never finished');
    };
    // Within closeDelay (10m) of the start: the previous day is refreshed, not closed.
    clock.now = Date.parse('2026-11-27T04:05:00Z');
    expect(await nextRun()).toMatchObject({ computed: 2, closed: 0, failed: 0 });
    // Past it: closed.
    clock.now = Date.parse('2026-11-27T04:11:00Z');
    expect(await nextRun()).toMatchObject({ computed: 2, closed: 1, failed: 0 });
    await scheduler.stop();
  });

  it('stop() ends a run in progress after its current site-period (shutdown does not wait for a whole run)', async () => {
    const slow = new MemoryPointWriter();
    // Two period kinds: a run computes previous + current for each, four site-periods in all.
    const { scheduler } = setup({ writer: slow }, { periods: ['day', 'week'] });
    slow.pause();
    const run = scheduler.tick();
    await vi.waitFor(() => expect(slow.stats().queuedPoints).toBeGreaterThan(0));
    const stopping = scheduler.stop();
    slow.resume();
    await stopping;
    // The first site-period (previous day) and the current day, then the stop is seen before 'week'.
    expect((await run).computed).toBeLessThan(4);
    expect(await scheduler.tick()).toEqual({ skipped: true, computed: 0, closed: 0, failed: 0 });
  });

  it('a failed write is retried at the next tick and nothing is marked closed', async () => {
    const flaky = new MemoryPointWriter();
    const { scheduler, clock } = setup({ writer: flaky });
    clock.now = Date.parse('2026-11-26T16:30:00Z');
    flaky.failWith(new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down'));
    expect(await scheduler.tick()).toMatchObject({ computed: 0, closed: 0, failed: 1 });
    flaky.failWith(undefined);
    expect(await scheduler.tick()).toMatchObject({ computed: 2, closed: 1, failed: 0 });
    expect(flaky.points).toHaveLength(2 * KPI_IDS.length);
  });

  it('stats() counts runs, failed runs and their durations; skipped ticks are no runs', async () => {
    const flaky = new MemoryPointWriter();
    const { scheduler, clock } = setup({ writer: flaky });
    expect(scheduler.stats()).toMatchObject({
      runs: 0,
      failedRuns: 0,
      failures: 0,
      lastRunSeconds: null,
      lastRunOk: null,
      runDuration: { count: 0, sum: 0 },
    });
    clock.now = Date.parse('2026-11-26T16:30:00Z');
    flaky.failWith(new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down'));
    await scheduler.tick();
    expect(scheduler.stats()).toMatchObject({ runs: 1, failedRuns: 1, failures: 1, lastRunOk: false });
    flaky.failWith(undefined);
    await scheduler.tick();
    const s = scheduler.stats();
    expect(s).toMatchObject({ runs: 2, failedRuns: 1, failures: 1, lastRunOk: true });
    expect(s.lastRunSeconds).toBeGreaterThan(0);
    expect(s.runDuration.count).toBe(2);
    expect(s.runDuration.sum).toBeGreaterThanOrEqual(s.lastRunSeconds!);
    expect(s.runDuration.buckets).toHaveLength(s.runDuration.counts.length);
    // Cumulative: never decreasing, never above the count.
    expect(s.runDuration.counts).toEqual([...s.runDuration.counts].sort((a, b) => a - b));
    expect(s.runDuration.counts.at(-1)).toBeLessThanOrEqual(2);
    // A snapshot: later runs do not change it.
    await scheduler.stop();
    expect(await scheduler.tick()).toMatchObject({ skipped: true });
    expect(scheduler.stats().runs).toBe(2);
    expect(s.runDuration.count).toBe(2);
  });

  it('quarter and year (opt-in): refreshed, closed after the delay and published like the others', async () => {
    const { scheduler, clock, published } = setup(
      {},
      { periods: ['day', 'quarter', 'year'], publishPeriod: 'quarter' },
    );
    clock.now = Date.parse('2026-12-31T16:05:00Z'); // 2027-01-01 00:05 local: a day, a quarter and a year just ended
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 6, closed: 0, failed: 0 });
    expect(published).toHaveLength(2 * KPI_IDS.length);
    const coverage = (topic: string) => published.find((m) => m.topic === topic)!.payload;
    expect(coverage('community/v1/elm/kpi/sorting_coverage')).toMatchObject({
      period: 'quarter',
      start: '2027-01-01T00:00:00+08:00',
      end: '2027-04-01T00:00:00+08:00',
      complete: false,
      value: 0,
      met: null,
    });
    // Q4 2026 holds the deposit of 2026-11-27: one household of two.
    expect(coverage('community/v1/elm/kpi/sorting_coverage/previous')).toMatchObject({
      period: 'quarter',
      start: '2026-10-01T00:00:00+08:00',
      end: '2027-01-01T00:00:00+08:00',
      complete: true,
      value: 0.5,
      met: false,
    });
    clock.now = Date.parse('2026-12-31T16:20:00Z'); // past closeDelay: the three ended periods close
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 6, closed: 3, failed: 0 });
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 3, closed: 0, failed: 0 });
    const year = (await storedKpis(conn, 'elm', 'year')).filter((r) => r['kpi'] === 'sorting_coverage');
    expect(year.map((r) => [r['time'], r['numerator'], r['complete']])).toEqual([
      [Date.parse('2025-12-31T16:00:00Z'), 1, true],
      [Date.parse('2026-12-31T16:00:00Z'), 0, false],
    ]);
    await scheduler.stop();
  });

  it('publishes only the kind of kpi.publishPeriod; start() ticks at once and on each cron tick; stop() ends it', async () => {
    let cronTick: (() => void) | undefined;
    const stop = vi.fn();
    const { scheduler, published } = setup(
      {
        writer: new MemoryPointWriter(),
        schedule: (expression, run) => ((cronTick = run), expect(expression).toBe('*/2 * * * *'), { stop }),
      },
      { periods: ['day', 'week'], publishPeriod: 'week', schedule: '*/2 * * * *' },
    );
    scheduler.start();
    await vi.waitFor(() => expect(published).toHaveLength(2 * KPI_IDS.length));
    expect(
      published.every(
        (m) =>
          m.payload['period'] === 'week' &&
          m.payload['start'] ===
            (m.topic.endsWith('/previous') ? '2026-11-16T00:00:00+08:00' : '2026-11-23T00:00:00+08:00'),
      ),
    ).toBe(true);
    cronTick?.();
    await vi.waitFor(() => expect(published).toHaveLength(4 * KPI_IDS.length));
    await scheduler.stop();
    expect(stop).toHaveBeenCalledOnce();
    expect(await scheduler.tick()).toMatchObject({ skipped: true });
  });

  it('idles while another hub holds the KPI lease, and a run ends at the next site-period once it is lost', async () => {
    let active = false;
    const writer = new MemoryPointWriter();
    const { scheduler, published } = setup(
      {
        writer,
        active: () => active,
        // The lease goes while the first site-period's results are being published.
        publish: (topic, payload, retain) => {
          published.push({ topic, payload: JSON.parse(payload) as Record<string, unknown>, retain });
          active = false;
        },
      },
      { periods: ['day', 'week'] },
    );
    expect(await scheduler.tick()).toEqual({ skipped: true, computed: 0, closed: 0, failed: 0 });
    expect(await scheduler.late()).toEqual({ skipped: true, backfilled: 0, recomputed: 0, failed: 0 });
    expect(writer.points).toHaveLength(0);
    expect(published).toHaveLength(0);
    expect(scheduler.stats().runs).toBe(0);
    active = true;
    // Day: previous and current computed (the lease was lost during the first publish); week: not begun.
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 0, failed: 0 });
    expect(writer.points.length).toBeGreaterThan(0);
    expect(writer.points.every((p) => p.tags['period'] === 'day')).toBe(true);
    active = true;
    expect(await scheduler.tick()).toEqual({ skipped: false, computed: 2, closed: 0, failed: 0 });
    await scheduler.stop();
  });

  it('without the lease hands its ready late-data marks to the holder, which takes and recomputes them', async () => {
    const shared: HandedMark[] = [];
    const handOff: MarksHandOff = {
      push: (m) => Promise.resolve(void shared.push(...m)),
      take: (limit) => Promise.resolve(shared.splice(0, limit)),
    };
    const other = setup({ writer: new MemoryPointWriter(), active: () => false, handOff });
    other.scheduler.accepted('elm', [Date.parse('2026-11-25T10:00:00+08:00')]); // an ended day: late
    expect(other.scheduler.stats().marksPending).toBe(1);
    expect(await other.scheduler.late()).toEqual({
      skipped: true,
      backfilled: 0,
      recomputed: 0,
      failed: 0,
      handedOver: 1,
    });
    expect(shared).toEqual([{ site: 'elm', kind: 'day', date: '2026-11-25' }]);
    expect(other.scheduler.stats().marksPending).toBe(0);
    const writer = new MemoryPointWriter();
    const holder = setup({ writer, handOff });
    expect(await holder.scheduler.late()).toEqual({ skipped: false, backfilled: 0, recomputed: 1, failed: 0 });
    expect(shared).toEqual([]);
    expect(writer.points.length).toBeGreaterThan(0);
    expect(new Set(writer.points.map((p) => p.tags['period']))).toEqual(new Set(['day']));
    expect(holder.logs.some((l) => l['msg'] === 'late-data marks taken over from other hubs')).toBe(true);
    // A hand-off that fails keeps the marks for the next check.
    const failing = setup({
      writer: new MemoryPointWriter(),
      active: () => false,
      handOff: { push: () => Promise.reject(new Error('Redis down')), take: () => Promise.resolve([]) },
    });
    failing.scheduler.accepted('elm', [Date.parse('2026-11-25T10:00:00+08:00')]);
    expect(await failing.scheduler.late()).toMatchObject({ skipped: true, handedOver: 0 });
    expect(failing.scheduler.stats().marksPending).toBe(1);
  });
});
