/**
 * The HTML report in a real headless browser (Debian's chromium, driven by playwright-core; no
 * browser download), in both languages: it renders, its titles are in the language asked for, its
 * charts (KPIs, buildings, trend) carry the report's data, nothing is fetched, printing gives A4
 * pages, and screenshots are taken (kept in the test's temporary folder while it runs).
 * scripts/system-deps.sh installs chromium and a Chinese font when missing.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, KPI_TITLES, renderHtml, type ReportLanguage } from '../../src/report/index.ts';
import { input, kpis } from './fixtures.ts';

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
