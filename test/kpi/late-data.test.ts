/**
 * Late data and the start's backfill (src/kpi/README.md, "Late data and backfill"): data accepted
 * for a period already computed marks it; the mark is served only once the data is in InfluxDB
 * (a position the drainer must pass, here a counter the test moves); marks outlive a restart (the
 * marks file); the start marks every ended period within `ingest.maxAge` whose stored result is
 * missing or incomplete, and serves them a few at a time. Real InfluxDB; the clock is set by hand.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKpiScheduler,
  LATE_BATCH,
  recomputeKpis,
  type KpiScheduler,
  type KpiSchedulerDeps,
} from '../../src/kpi/index.ts';
import { createLogger } from '../../src/log.ts';
import type { InfluxConnection, InfluxPointWriter } from '../../src/store/index.ts';
import { deposit, freshDatabase, inventoryOf, kpiConfig, storedKpis } from './helpers.ts';

const DAY = 86_400_000;
let conn: InfluxConnection;
let writer: InfluxPointWriter;
let dir: string;
const inventory = inventoryOf({ id: 'elm', households: 2, devices: [['bin-01', 'waste-bin']] });

beforeAll(async () => {
  ({ conn, writer } = await freshDatabase('kpi_late'));
  dir = mkdtempSync(join(tmpdir(), 'kpi-late-'));
});
afterAll(async () => {
  await writer.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A scheduler over `elm` (days only) whose timers never fire: the test calls tick() and late(). */
function setup(o: {
  now: string;
  maxAgeDays?: number;
  marksFile?: string;
  accepted?: number;
  /** The `kpi` section's periods and publishPeriod; default days only. */
  kpi?: Record<string, unknown>;
  site?: string;
}) {
  const clock = { now: Date.parse(o.now) };
  /** The spool as the scheduler sees it: data accepted up to `accepted`, written up to `written`. */
  const spool = { accepted: o.accepted ?? 0, written: 0 };
  const published: Array<{ topic: string; payload: Record<string, unknown> }> = [];
  const deps: KpiSchedulerDeps = {
    conn,
    writer,
    inventory: o.site ? inventoryOf({ id: o.site, households: 2, devices: [['bin-01', 'waste-bin']] }) : inventory,
    config: {
      kpi: kpiConfig({}, o.kpi ?? { periods: ['day'] }),
      mqtt: { rootTopic: 'community/v1' },
      ingest: { maxAge: (o.maxAgeDays ?? 1) * DAY },
    },
    logger: createLogger('silent'),
    publish: (topic, payload) =>
      void published.push({ topic, payload: JSON.parse(payload) as Record<string, unknown> }),
    now: () => clock.now,
    schedule: () => ({ stop: () => undefined }),
    every: () => ({ stop: () => undefined }),
    progress: { position: () => spool.accepted, written: (p) => (p as number) <= spool.written },
    ...(o.marksFile ? { marksFile: o.marksFile } : {}),
  };
  return { scheduler: createKpiScheduler(deps), clock, spool, published };
}

/** The stored sorting_coverage of `elm` per day start (ISO): [numerator, complete]. */
async function coverage(): Promise<Record<string, [unknown, unknown]>> {
  const rows = (await storedKpis(conn, 'elm', 'day')).filter((r) => r['kpi'] === 'sorting_coverage');
  return Object.fromEntries(
    rows.map((r) => [new Date(r['time'] as number).toISOString(), [r['numerator'], r['complete']]]),
  );
}

/** A late check that is not skipped (start() runs one of its own in the background). */
async function lateCheck(s: KpiScheduler) {
  for (let i = 0; i < 500; i++) {
    const r = await s.late();
    if (!r.skipped) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('the late check never ran');
}

describe('late data', () => {
  it('a deposit accepted after its day was closed is recomputed once the drainer has written it, and republished', async () => {
    const marksFile = join(dir, 'a', 'late-marks.json');
    const { scheduler, clock, spool, published } = setup({ now: '2026-11-27T16:30:00Z', marksFile }); // 11-28 00:30
    expect(await scheduler.tick()).toMatchObject({ computed: 2, closed: 1, failed: 0 });
    expect((await coverage())['2026-11-26T16:00:00.000Z']).toEqual([0, true]);

    // A gateway's backlog arrives: a deposit of 11-27 (closed) and one of today (running).
    const late = '2026-11-27T21:00:00+08:00';
    const today = '2026-11-28T00:10:00+08:00';
    spool.accepted = 1;
    scheduler.accepted('elm', [Date.parse(late), Date.parse(today)]);
    expect(scheduler.stats().marksPending).toBe(1); // only the closed day: today is refreshed anyway
    // Not in InfluxDB yet (the drainer has not passed it): nothing is recomputed.
    expect(await scheduler.late()).toMatchObject({ recomputed: 0 });
    expect(scheduler.stats().marksPending).toBe(1);

    // The drainer writes it.
    await writer.write([deposit('elm', 'bin-01', 'h1', 'correct', late)]);
    spool.written = 1;
    clock.now += 60_000;
    const before = published.length;
    expect(await scheduler.late()).toEqual({ skipped: false, backfilled: 0, recomputed: 1, failed: 0 });
    expect((await coverage())['2026-11-26T16:00:00.000Z']).toEqual([1, true]);
    expect(scheduler.stats()).toMatchObject({ recomputed: 1, marksPending: 0 });
    // The last ended day changed: its retained …/previous message is republished, complete, with a verdict.
    const again = published.slice(before);
    expect(again.map((m) => m.topic)).toContain('community/v1/elm/kpi/sorting_coverage/previous');
    expect(again.every((m) => m.topic.endsWith('/previous'))).toBe(true);
    expect(again.find((m) => m.payload['kpi'] === 'sorting_coverage')!.payload).toMatchObject({
      start: '2026-11-27T00:00:00+08:00',
      end: '2026-11-28T00:00:00+08:00',
      complete: true,
      value: 0.5,
      met: false,
    });

    // An older day (within maxAge): recomputed, but not "previous", so nothing is published.
    const old = '2026-11-20T10:00:00+08:00';
    await writer.write([deposit('elm', 'bin-01', 'h2', 'correct', old)]);
    spool.accepted = spool.written = 2;
    scheduler.accepted('elm', [Date.parse(old)]);
    const n = published.length;
    expect(await scheduler.late()).toMatchObject({ recomputed: 1 });
    expect((await coverage())['2026-11-19T16:00:00.000Z']).toEqual([1, true]);
    expect(published).toHaveLength(n);
    await scheduler.stop();
  });

  it('a late deposit of the last quarter marks its day and its quarter; both are recomputed, the quarter republished', async () => {
    const site = 'ash'; // a site of its own: its deposits touch no other test's periods
    const { scheduler, clock, spool, published } = setup({
      now: '2026-12-31T16:30:00Z', // 2027-01-01 00:30 local: Q4 2026 and 2026-12-31 just closed
      kpi: { periods: ['day', 'quarter'], publishPeriod: 'quarter' },
      site,
    });
    expect(await scheduler.tick()).toMatchObject({ computed: 4, closed: 2, failed: 0 });
    const q4 = async () =>
      (await storedKpis(conn, site, 'quarter')).find(
        (r) => r['kpi'] === 'sorting_coverage' && r['time'] === Date.parse('2026-09-30T16:00:00Z'),
      );
    expect(await q4()).toMatchObject({ numerator: 0, complete: true });

    const late = '2026-12-31T21:00:00+08:00';
    spool.accepted = 1;
    scheduler.accepted(site, [Date.parse(late)]);
    expect(scheduler.stats().marksPending).toBe(2); // the day and the quarter
    await writer.write([deposit(site, 'bin-01', 'h1', 'correct', late)]);
    spool.written = 1;
    clock.now += 60_000;
    const before = published.length;
    expect(await scheduler.late()).toEqual({ skipped: false, backfilled: 0, recomputed: 2, failed: 0 });
    expect(await q4()).toMatchObject({ numerator: 1, complete: true });
    expect(
      published.slice(before).find((m) => m.topic === `community/v1/${site}/kpi/sorting_coverage/previous`)!.payload,
    ).toMatchObject({
      period: 'quarter',
      start: '2026-10-01T00:00:00+08:00',
      end: '2027-01-01T00:00:00+08:00',
      complete: true,
      value: 0.5,
    });
    await scheduler.stop();
  });

  it('marks survive a restart (the marks file) and are served by the next scheduler', async () => {
    const marksFile = join(dir, 'b', 'late-marks.json');
    const first = setup({ now: '2026-11-27T16:30:00Z', marksFile });
    first.spool.accepted = 7; // accepted, not written: the hub stops before the drainer gets there
    first.scheduler.accepted('elm', [Date.parse('2026-11-25T12:00:00+08:00'), Date.parse('2026-11-26T12:00:00+08:00')]);
    await first.scheduler.stop();
    const saved = JSON.parse(readFileSync(marksFile, 'utf8')) as { marks: unknown[] };
    expect(saved.marks).toEqual([
      { site: 'elm', kind: 'day', date: '2026-11-25' },
      { site: 'elm', kind: 'day', date: '2026-11-26' },
    ]);

    // The next start: the spool holds what the first run left (position 3 here); marks wait for it.
    const second = setup({ now: '2026-11-27T16:40:00Z', marksFile, accepted: 3 });
    expect(second.scheduler.stats().marksPending).toBe(2);
    expect(await second.scheduler.late()).toMatchObject({ recomputed: 0 });
    second.spool.written = 3;
    expect(await second.scheduler.late()).toMatchObject({ recomputed: 2 });
    expect(second.scheduler.stats().marksPending).toBe(0);
    await second.scheduler.stop();
    expect(JSON.parse(readFileSync(marksFile, 'utf8'))).toMatchObject({ marks: [] });
  });

  it(`the start backfills ended periods within maxAge whose stored result is missing or incomplete, ${LATE_BATCH} at a time`, async () => {
    const { conn: c, writer: w } = await freshDatabase('kpi_backfill');
    try {
      const cfg = kpiConfig({}, { periods: ['day'] });
      const at = (iso: string) => () => Date.parse(iso);
      // 11-25 stored complete; 11-24 stored while it ran (incomplete); the others never computed.
      await recomputeKpis(
        { conn: c, inventory, config: cfg, writer: w, now: at('2026-11-26T04:00:00Z') },
        'elm',
        'day',
        '2026-11-25',
      );
      await recomputeKpis(
        { conn: c, inventory, config: cfg, writer: w, now: at('2026-11-24T04:00:00Z') },
        'elm',
        'day',
        '2026-11-24',
      );
      await w.write([deposit('elm', 'bin-01', 'h1', 'correct', '2026-11-18T09:00:00+08:00')]);
      const s = createKpiScheduler({
        conn: c,
        writer: w,
        inventory,
        config: { kpi: cfg, mqtt: { rootTopic: 'community/v1' }, ingest: { maxAge: 10 * DAY } },
        logger: createLogger('silent'),
        publish: () => undefined,
        now: at('2026-11-27T04:00:00Z'), // 11-27 12:00 local
        schedule: () => ({ stop: () => undefined }),
        every: () => ({ stop: () => undefined }),
      });
      s.start(); // a tick (previous and current day) and a late check (the backfill) in the background
      // Days ending after now − 10 d: 11-17 … 11-25; 11-26 is the tick's; 11-25 is complete: 8 marked.
      let recomputed = 0;
      for (let i = 0; i < 10 && (s.stats().backfilled === null || s.stats().marksPending > 0); i++) {
        const r = await lateCheck(s);
        expect(r.recomputed).toBeLessThanOrEqual(LATE_BATCH);
        recomputed += r.recomputed;
      }
      await s.stop();
      expect(s.stats()).toMatchObject({ backfilled: 8, marksPending: 0, recomputed: 8 });
      expect(recomputed).toBeLessThanOrEqual(8); // the start's own check did the first batch
      const rows = (await storedKpis(c, 'elm', 'day')).filter((r) => r['kpi'] === 'sorting_coverage');
      const byDay = Object.fromEntries(rows.map((r) => [new Date(r['time'] as number).toISOString().slice(0, 10), r]));
      for (let d = 17; d <= 26; d++) expect(byDay[`2026-11-${d - 1}`]?.['complete'], `11-${d}`).toBe(true);
      expect(byDay['2026-11-17']?.['numerator']).toBe(1); // 11-18 local starts 11-17T16:00Z
      expect(byDay['2026-11-15']).toBeUndefined(); // 11-16 ended before now − maxAge
    } finally {
      await w.close();
    }
  });
});
