/**
 * The HTML report in a real headless browser (Debian's chromium, driven by playwright-core; no
 * browser download), in both languages: it renders, its titles are in the language asked for, its
 * charts (KPIs, buildings, trend) carry the report's data, nothing is fetched, printing gives A4
 * pages, and screenshots are taken (kept in the test's temporary folder while it runs). A quarter
 * report opens with its evaluation scorecard, whose satisfaction and payback charts carry the
 * JSON's data, and its PDF (printed as the hub prints it) renders a non-blank A4 first page.
 * scripts/system-deps.sh installs chromium and a Chinese font when missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, KPI_TITLES, printPdf, renderHtml, type ReportLanguage } from '../../src/report/index.ts';
import { input, kpis, quarterInput } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
let context: BrowserContext;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-report-browser-'));
  // A fresh profile (user-data-dir) each run.
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1000, height: 800 },
  });
}, 60_000);
afterAll(async () => {
  await context?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const TITLE = {
  en: 'Monitoring report: maple-court <script>alert(1)</script>, day 2026-11-27',
  'zh-CN': 'maple-court <script>alert(1)</script> 监测日报：2026-11-27',
} as const;
const MET = { en: ['met', 'not met'], 'zh-CN': ['达标', '未达标'] } as const;

describe('HTML report in chromium', () => {
  it.each(['zh-CN', 'en'] as const)(
    '%s: renders titles, KPI, building and trend charts with data, fetches nothing, screenshots',
    async (lang: ReportLanguage) => {
      // A running day: the last trend point is hollow and its change partial.
      const now = Date.parse('2026-11-27T20:00:00+08:00');
      const report = buildReport(
        input({
          site: { id: 'maple-court <script>alert(1)</script>', timezone: 'Asia/Shanghai', households: 20 },
          now,
          kpis: kpis().map((k) => ({ ...k, complete: false })),
        }),
      );
      const file = join(dir, `report-${lang}.html`);
      await writeFile(file, renderHtml(report, { lang }));

      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      const dialogs: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      expect(await page.title()).toBe(TITLE[lang]);
      expect(await page.locator('html').getAttribute('lang')).toBe(lang);
      expect(await page.locator('h1').textContent()).toContain('<script>alert(1)</script>');
      expect(await page.locator('table.kpis tbody tr').count()).toBe(report.kpis.length);
      // KPI titles in the language asked for, in the table and on the charts.
      for (const k of report.kpis) {
        expect(await page.locator(`tr[data-kpi="${k.kpi}"] td`).first().textContent()).toBe(KPI_TITLES[k.kpi][lang]);
        expect(await page.locator(`svg.trend-chart[data-kpi="${k.kpi}"] .chart-title`).textContent()).toBe(
          KPI_TITLES[k.kpi][lang],
        );
      }
      const body = (await page.locator('body').textContent()) ?? '';
      if (lang === 'zh-CN') {
        expect(body).toContain('垃圾分类覆盖率');
        expect(body).not.toContain('Sorting coverage');
      } else {
        expect(body).toContain('Sorting coverage');
        expect(body).not.toMatch(/[\u4e00-\u9fff]/);
      }
      expect(await page.locator('tr[data-kpi="sorting_coverage"] td.met').textContent()).toBe(MET[lang][0]);
      expect(await page.locator('tr[data-kpi="sorting_accuracy"] td.not-met').textContent()).toBe(MET[lang][1]);

      // KPI chart: a bar per KPI with a value; the coverage bar ends at its 95% target line.
      const withValues = report.kpis.filter((k) => k.value !== null).length;
      expect(await page.locator('svg.kpi-chart rect.bar').count()).toBe(withValues);
      const track = await page.locator('svg.kpi-chart rect.track').first().boundingBox();
      const barBox = await page.locator('rect.bar[data-kpi="sorting_coverage"]').boundingBox();
      const line = page.locator('svg.kpi-chart line.target[data-kpi="sorting_coverage"]');
      expect(await line.getAttribute('data-target')).toBe('0.95');
      const lineBox = await line.boundingBox();
      expect(track && barBox && lineBox).toBeTruthy();
      expect(barBox!.width / track!.width).toBeCloseTo(0.95, 2);
      expect((lineBox!.x + lineBox!.width / 2 - track!.x) / track!.width).toBeCloseTo(0.95, 2);

      // Building chart: a bar per building, worst first, each as wide as its coverage.
      const bars = page.locator('svg.building-chart rect.bar');
      expect(await bars.count()).toBe(report.buildings.length);
      const bTrack = await page.locator('svg.building-chart rect.track').first().boundingBox();
      for (const [i, b] of report.buildings.entries()) {
        expect(await bars.nth(i).getAttribute('data-building')).toBe(b.building);
        const box = await bars.nth(i).boundingBox();
        expect(box!.width / bTrack!.width).toBeCloseTo(b.sorting_coverage!.value!, 2);
      }

      // Trend: a chart per KPI, a point per stored value; the coverage line rises with the data
      // (higher value, smaller y) and its last point, the running day, is hollow.
      expect(await page.locator('svg.trend-chart').count()).toBe(report.trend.series.length);
      const cov = report.trend.series[0]!;
      const points = page.locator('svg.trend-chart[data-kpi="sorting_coverage"] circle.point');
      const withValue = cov.points.filter((p) => p.value !== null);
      expect(await points.count()).toBe(withValue.length);
      const ys: number[] = [];
      for (let i = 0; i < withValue.length; i++) {
        expect(Number(await points.nth(i).getAttribute('data-value'))).toBe(withValue[i]!.value);
        const box = await points.nth(i).boundingBox();
        ys.push(box!.y);
      }
      expect(ys[0]!).toBeGreaterThan(ys.at(-1)!); // 70% below 95%
      expect(await points.last().getAttribute('data-complete')).toBe('false');
      expect(await points.last().getAttribute('fill')).toBe('#ffffff');
      expect(await page.locator('svg.trend-chart[data-kpi="sorting_coverage"] polyline.trend-line').count()).toBe(2); // the 11-25 gap breaks it
      expect(
        await page.locator('svg.trend-chart[data-kpi="sorting_coverage"] line.target').getAttribute('data-target'),
      ).toBe('0.95');

      expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
      expect(errors).toEqual([]);
      expect(dialogs).toEqual([]);

      const png = join(dir, `report-${lang}.png`);
      await page.screenshot({ path: png, fullPage: true });
      expect((await stat(png)).size).toBeGreaterThan(20_000);
      // Printing (the PDF is made from this page): A4 pages, several of them.
      const pdf = await page.pdf({ preferCSSPageSize: true });
      const sizes = [...pdf.toString('latin1').matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)];
      expect(sizes.length).toBeGreaterThan(1);
      for (const [, w, h] of sizes) expect([Math.round(Number(w)), Math.round(Number(h))]).toEqual([595, 842]);
      process.stdout.write(`report screenshot (${lang}): ${png}\n`);
      await page.close();
    },
    60_000,
  );
});

const EVALUATION_TITLE = { en: 'Programme evaluation', 'zh-CN': '项目评估' } as const;

describe('quarter report with its evaluation scorecard, in chromium and as a PDF', () => {
  it.each(['zh-CN', 'en'] as const)(
    '%s: the scorecard comes first, its satisfaction and payback charts carry the data, the PDF renders',
    async (lang: ReportLanguage) => {
      const report = buildReport(quarterInput());
      const ev = report.evaluation!;
      const file = join(dir, `quarter-${lang}.html`);
      await writeFile(file, renderHtml(report, { lang }));
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      // The first section of the page is the scorecard, titled in the language asked for.
      expect(await page.locator('h2').first().textContent()).toBe(EVALUATION_TITLE[lang]);
      const section = page.locator('section.evaluation');
      const items = section.locator('table.scorecard tbody tr');
      expect(await items.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-item')))).toEqual([
        'sorting_coverage',
        'satisfaction_gain',
        'diversion_rate',
        'co2e_avoided_kg',
        'recyclables_kg',
        'payback',
      ]);
      expect(await section.locator('tr[data-item="satisfaction_gain"] td').first().textContent()).toBe(
        ev.titles.satisfaction_gain[lang],
      );
      expect(await section.locator('tr[data-item="satisfaction_gain"] td.met').count()).toBe(1);
      expect(await section.locator('tr[data-item="diversion_rate"] td.not-met').count()).toBe(1);
      // The trend charts of the judged KPIs are there too.
      expect(await section.locator('svg.trend-chart').count()).toBe(4);

      // Satisfaction: a bar per wave as tall as its rate; Q3 (70 %) tops the 65 % target line.
      const bars = section.locator('svg.satisfaction-chart rect.wave-bar');
      expect(await bars.count()).toBe(2);
      const heights: number[] = [];
      for (const [i, w] of ev.satisfaction.waves.entries()) {
        expect(await bars.nth(i).getAttribute('data-wave')).toBe(w.wave);
        expect(Number(await bars.nth(i).getAttribute('data-value'))).toBe(w.satisfactionRate);
        heights.push((await bars.nth(i).boundingBox())!.height);
      }
      expect(heights[1]! / heights[0]!).toBeCloseTo(0.7 / 0.5, 1);
      const sTarget = section.locator('svg.satisfaction-chart line.target');
      expect(Number(await sTarget.getAttribute('data-target'))).toBeCloseTo(0.65, 12);
      const q3Top = (await bars.nth(1).boundingBox())!.y;
      const q1Top = (await bars.nth(0).boundingBox())!.y;
      const targetY = (await sTarget.boundingBox())!.y;
      expect(q3Top).toBeLessThan(targetY);
      expect(q1Top).toBeGreaterThan(targetY);

      // Payback: a point per month at its cumulative net, rising, all below the investment line.
      const points = section.locator('svg.payback-chart circle.point');
      expect(await points.count()).toBe(ev.payback.months.length);
      const ys: number[] = [];
      for (const [i, m] of ev.payback.months.entries()) {
        expect(await points.nth(i).getAttribute('data-month')).toBe(m.month);
        expect(Number(await points.nth(i).getAttribute('data-value'))).toBe(m.cumulative);
        ys.push((await points.nth(i).boundingBox())!.y);
      }
      expect([...ys].sort((a, b) => b - a)).toEqual(ys); // higher cumulative, smaller y
      const pTarget = section.locator('svg.payback-chart line.target');
      expect(await pTarget.getAttribute('data-target')).toBe('20000');
      expect(ys.at(-1)!).toBeGreaterThan((await pTarget.boundingBox())!.y);
      expect(errors).toEqual([]);

      const png = join(dir, `quarter-${lang}.png`);
      await page.screenshot({ path: png, fullPage: true });
      expect((await stat(png)).size).toBeGreaterThan(20_000);
      await page.close();

      // The PDF as the hub prints it (src/report/pdf.ts, real headless Chromium), read by poppler.
      const pdf = join(dir, `quarter-${lang}.pdf`);
      await printPdf({ chromium: CHROMIUM, html: file, pdf, timeoutMs: 120_000 });
      const ppm = spawnSync('pdftoppm', ['-gray', '-r', '40', '-f', '1', '-l', '1', pdf]);
      expect(ppm.status, ppm.stderr.toString()).toBe(0);
      const first = parsePgm(ppm.stdout);
      expect(first.height / first.width).toBeCloseTo(297 / 210, 1);
      expect(first.pixels.filter((v) => v < 200).length / first.pixels.length).toBeGreaterThan(0.005);
      const text = spawnSync('pdftotext', ['-f', '1', '-l', '1', pdf, '-']);
      expect(text.status, text.stderr.toString()).toBe(0);
      expect(text.stdout.toString()).toContain(EVALUATION_TITLE[lang]);
      process.stdout.write(`quarter report screenshot (${lang}): ${png}, PDF: ${pdf}\n`);
    },
    180_000,
  );
});

/** A binary PGM (P5, 8 bits) as pdftoppm -gray writes it. */
function parsePgm(b: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(b.subarray(0, 64).toString('latin1'));
  if (!m) throw new Error('not an 8-bit PGM');
  const width = Number(m[1]);
  const height = Number(m[2]);
  return { width, height, pixels: new Uint8Array(b.subarray(m[0].length, m[0].length + width * height)) };
}
