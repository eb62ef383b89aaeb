/**
 * Reports that build themselves (docs/contract.md §5, §6): a hub with its KPI scheduler (the test
 * calls the scheduler's ticks and late checks itself and moves the hub's clock) closes a day, and
 * that day's report appears in the API listing without any CLI call; late data for the day makes
 * the scheduler recompute it and the listed report is rebuilt with the new values; `report.keep`
 * drops the oldest; the PDF is printed by the real headless Chromium, served as application/pdf,
 * and `pdftoppm` (poppler, a reader nobody here wrote) renders its first page as an A4 page that is
 * not blank. The values are judged against the deposits the test published.
 */
import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf } from '../../src/kpi/index.ts';
import { ReportStage } from '../../src/report/index.ts';
import type { ReportData } from '../../src/report/index.ts';
import { captureLogs } from '../helpers/hub.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { testDir } from '../helpers/tmp.ts';
import {
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  fixedClock,
  mosquittoPublish,
  startHub,
  type E2eHub,
} from '../e2e/helpers.ts';

const SITE = 'maple-court';
const KEY = 'operator-key-0123456789';
const op = { authorization: `Bearer ${KEY}` };
const clock = fixedClock('2026-11-27T04:00:00Z'); // 12:00 on 2026-11-27 in Asia/Shanghai
let h: E2eHub;
let tick: () => Promise<unknown>;
let late: () => Promise<unknown>;

interface Listed {
  id: string;
  date: string;
  formats: string[];
  builtAt: string | null;
  trigger: string | null;
  rebuiltAfterLateData: boolean;
  links: Record<string, string>;
}

/** What the test published, the ground truth of the report's counts. */
const sent: Array<{ household: string; sorting: 'correct' | 'incorrect'; ts: string }> = [];

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('report_auto'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    clock,
    kpi: { enabled: true, schedule: '*/5 * * * *', periods: ['day'], publishPeriod: 'day' },
    kpiTimers: {
      schedule: (_e, run) => ((tick = run), { stop: () => undefined }),
      every: (_ms, run) => ((late = run), { stop: () => undefined }),
    },
    // maxAge 1d: the late data (hours old) is taken, and the start's backfill marks nothing
    // (the day before is computed complete by the first tick).
    report: { keep: 2 },
    extra: { operatorKey: KEY, ingest: { maxAge: '1d' } },
  });
}, 60_000);
afterAll(async () => {
  if (!h) return;
  await dropDatabase(h.conn);
  await h.stop();
});

/**
 * Runs `run` (a tick or a late check) once it is not skipped for another one in progress. A skipped
 * run answers at once, so the next try waits a moment: retried straight away, only microtasks ran
 * in between, the run in progress (which waits for I/O) never ended, and the skips' log lines filled
 * the heap (seen once in CI: the worker ran out of memory).
 */
async function turn(run: () => Promise<unknown>): Promise<void> {
  while (((await run()) as { skipped: boolean }).skipped) await new Promise((r) => setTimeout(r, 20));
}

async function publish(household: string, sorting: 'correct' | 'incorrect', ts: string): Promise<void> {
  const m = JSON.stringify({
    id: `e-${sent.length}`,
    ts,
    type: 'deposit',
    household,
    category: 'kitchen',
    weight: 1,
    sorting,
    auth: 'card',
  });
  expect((await mosquittoPublish(h.port, EAST, deviceTopic('gw-east', 'bin-01', 'event'), { m })).code).toBe(0);
  sent.push({ household, sorting, ts });
}

async function listed(): Promise<Listed[]> {
  const r = await fetch(`${h.httpUrl}/api/v1/sites/${SITE}/reports`, { headers: op });
  expect(r.status).toBe(200);
  return ((await r.json()) as { reports: Listed[] }).reports;
}

async function entry(id: string): Promise<Listed | undefined> {
  return (await listed()).find((e) => e.id === id);
}

async function jsonReport(id: string): Promise<ReportData> {
  const r = await fetch(`${h.httpUrl}/api/v1/sites/${SITE}/reports/${id}.json`, { headers: op });
  expect(r.status).toBe(200);
  return (await r.json()) as ReportData;
}

/** The truth of the published deposits of a local day (Asia/Shanghai, +08:00). */
function truth(date: string): { coverage: number; participation: number } {
  const mine = sent.filter((s) => s.ts.startsWith(date));
  return {
    coverage: new Set(mine.filter((s) => s.sorting === 'correct').map((s) => s.household)).size,
    participation: new Set(mine.map((s) => s.household)).size,
  };
}

function numerator(r: ReportData, kpi: string): number | undefined {
  return r.kpis.find((k) => k.kpi === kpi)?.numerator;
}

describe('reports build themselves', () => {
  it('a closed day is reported, with a PDF, without any CLI call', async () => {
    await publish('H-1-101', 'correct', '2026-11-27T09:10:00+08:00');
    await publish('H-1-102', 'correct', '2026-11-27T10:20:00+08:00');
    await publish('H-1-102', 'correct', '2026-11-27T10:25:00+08:00');
    await publish('H-1-103', 'incorrect', '2026-11-27T11:30:00+08:00');
    await drained(h);
    expect(await entry('day-2026-11-27')).toBeUndefined();

    clock.set('2026-11-27T16:20:00Z'); // 00:20 the next local day: past the end and closeDelay
    // A day closes at the first tick that finds the drainer past what was spooled when the day's
    // first tick after its end ran (src/kpi/scheduler.ts); a record spooled after `drained` (the
    // publishing gateway's offline status, as its connection ends) can put that off by a tick.
    await expect
      .poll(
        async () => {
          await turn(tick);
          return h.hub.stats().kpi!.closed;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(1);
    await expect
      .poll(async () => (await entry('day-2026-11-27'))?.formats, { timeout: 180_000, interval: 200 })
      .toEqual(['json', 'md', 'html', 'pdf']);
    const e = (await entry('day-2026-11-27'))!;
    expect(e).toMatchObject({ trigger: 'close', rebuiltAfterLateData: false, builtAt: '2026-11-27T16:20:00.000Z' });
    expect(e.links.pdf).toBe(`/api/v1/sites/${SITE}/reports/day-2026-11-27.pdf`);
    const r = await jsonReport('day-2026-11-27');
    expect(numerator(r, 'sorting_coverage')).toBe(truth('2026-11-27').coverage);
    expect(numerator(r, 'participation_rate')).toBe(truth('2026-11-27').participation);
    expect(truth('2026-11-27')).toEqual({ coverage: 2, participation: 3 });
  }, 240_000);

  it('late data for the closed day rebuilds its listed report with the recomputed values', async () => {
    const before = (await entry('day-2026-11-27'))!;
    clock.set('2026-11-27T16:25:00Z');
    await publish('H-1-104', 'correct', '2026-11-27T20:00:00+08:00');
    await publish('H-1-103', 'correct', '2026-11-27T21:00:00+08:00');
    await drained(h);
    await turn(late);
    await expect
      .poll(async () => (await entry('day-2026-11-27'))?.rebuiltAfterLateData, { timeout: 180_000, interval: 200 })
      .toBe(true);
    const e = (await entry('day-2026-11-27'))!;
    expect(e.trigger).toBe('late');
    expect(e.builtAt).toBe('2026-11-27T16:25:00.000Z');
    expect(e.builtAt).not.toBe(before.builtAt);
    const r = await jsonReport('day-2026-11-27');
    expect(truth('2026-11-27')).toEqual({ coverage: 4, participation: 4 });
    expect(numerator(r, 'sorting_coverage')).toBe(truth('2026-11-27').coverage);
    expect(numerator(r, 'participation_rate')).toBe(truth('2026-11-27').participation);
    // The PDF of the first build showed the old values: it is printed again, not left behind.
    await expect
      .poll(async () => (await entry('day-2026-11-27'))?.formats, { timeout: 180_000, interval: 200 })
      .toContain('pdf');
  }, 240_000);

  it('serves the PDF as application/pdf, and pdftoppm renders an A4 first page that is not blank', async () => {
    const r = await fetch(`${h.httpUrl}/api/v1/sites/${SITE}/reports/day-2026-11-27.pdf`, { headers: op });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await r.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const byAccept = await fetch(`${h.httpUrl}/api/v1/sites/${SITE}/reports/day-2026-11-27`, {
      headers: { ...op, accept: 'application/pdf' },
    });
    expect(byAccept.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await byAccept.arrayBuffer()).equals(pdf)).toBe(true);

    const dir = testDir('hub-report-pdf-');
    await writeFile(join(dir, 'r.pdf'), pdf);
    const run = spawnSync('pdftoppm', ['-gray', '-r', '40', '-f', '1', '-l', '1', join(dir, 'r.pdf')]);
    expect(run.status, run.stderr.toString()).toBe(0);
    const page = parsePgm(run.stdout);
    // A4 is 210 × 297 mm.
    expect(page.height / page.width).toBeCloseTo(297 / 210, 1);
    const ink = page.pixels.filter((v) => v < 200).length;
    expect(ink / page.pixels.length).toBeGreaterThan(0.005);
  }, 60_000);

  it('report.keep keeps the newest days and deletes the files of older ones', async () => {
    expect(h.hub.stats().report!.pruned).toBe(0);
    for (const [at, newest] of [
      ['2026-11-28T16:20:00Z', ['2026-11-28', '2026-11-27']], // closes 2026-11-28: two kept, none dropped
      ['2026-11-29T16:20:00Z', ['2026-11-29', '2026-11-28']], // closes 2026-11-29: 2026-11-27 goes
    ] as const) {
      clock.set(at);
      await turn(tick);
      await expect
        .poll(async () => (await listed()).map((e) => e.date), { timeout: 180_000, interval: 200 })
        .toEqual(newest);
    }
    const files = await readdir(join(h.loaded.config.dataDir, 'reports', SITE));
    expect(files.filter((f) => !/^day-2026-11-2[89]\./.test(f))).toEqual([]);
    expect(h.hub.stats().report!.pruned).toBeGreaterThan(0);
    expect(h.hub.stats().report!.failed).toBe(0);
  }, 240_000);

  it('without Chromium the reports are still built, with a clear warning and no PDF', async () => {
    const dataDir = testDir('hub-report-nochrome-');
    const { logger, lines } = captureLogs();
    const stage = new ReportStage({
      dataDir,
      conn: h.conn,
      inventory: h.loaded.inventory,
      kpi: h.loaded.config.kpi,
      deadLetters: { list: () => Promise.resolve([]) },
      settings: { ...h.loaded.config.report, periods: ['day'], chromium: join(dataDir, 'no-chromium') },
      logger,
      now: clock.now,
    });
    await stage.start();
    expect(lines.find((l) => l.level === 40)?.msg).toMatch(/PDF reports are off: no Chromium/);
    const tz = h.loaded.inventory.site(SITE)!.timezone;
    // A kind outside report.periods is not reported (no week files below, and one build).
    stage.periodComputed({ site: SITE, period: periodOf('week', '2026-11-23', tz), reason: 'close' });
    stage.periodComputed({ site: SITE, period: periodOf('day', '2026-11-27', tz), reason: 'close' });
    await expect.poll(() => stage.stats().built, { timeout: 30_000 }).toBe(1);
    await stage.stop({ deadline: Date.now() + 5_000 });
    expect(stage.stats()).toMatchObject({ built: 1, failed: 0, pdfs: 0, pdfFailed: 0 });
    expect((await readdir(join(dataDir, 'reports', SITE))).sort()).toEqual([
      'day-2026-11-27.html',
      'day-2026-11-27.json',
      'day-2026-11-27.md',
      'day-2026-11-27.meta.json',
    ]);
  }, 60_000);
});

/** A binary PGM (P5, 8 bits) as pdftoppm -gray writes it. */
function parsePgm(b: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(b.subarray(0, 64).toString('latin1'));
  if (!m) throw new Error('not an 8-bit PGM');
  const width = Number(m[1]);
  const height = Number(m[2]);
  const pixels = new Uint8Array(b.subarray(m[0].length, m[0].length + width * height));
  expect(pixels.length).toBe(width * height);
  return { width, height, pixels };
}
