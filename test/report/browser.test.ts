/**
 * The HTML report in a real headless browser (Debian's chromium, driven by playwright-core; no
 * browser download): it renders, its charts carry the data, nothing is fetched, and a screenshot
 * is taken. scripts/system-deps.sh installs chromium when missing.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml } from '../../src/report/index.ts';
import { input } from './fixtures.ts';

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

describe('HTML report in chromium', () => {
  it('renders the KPI table and charts, fetches nothing, and screenshots', async () => {
    const report = buildReport(
      input({ site: { id: 'maple-court <script>alert(1)</script>', timezone: 'Asia/Shanghai', households: 20 } }),
    );
    const file = join(dir, 'report.html');
    await writeFile(file, renderHtml(report));

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

    expect(await page.title()).toBe('Monitoring report: maple-court <script>alert(1)</script>, day 2026-11-27');
    expect(await page.locator('h1').textContent()).toContain('<script>alert(1)</script>');
    expect(await page.locator('table.kpis tbody tr').count()).toBe(report.kpis.length);
    expect(await page.locator('tr[data-kpi="sorting_coverage"] td.met').textContent()).toBe('met');
    expect(await page.locator('tr[data-kpi="sorting_accuracy"] td.not-met').textContent()).toBe('not met');

    // Charts: a bar per KPI with a value; the coverage bar and its 95% target line.
    const withValues = report.kpis.filter((k) => k.value !== null).length;
    expect(await page.locator('svg.kpi-chart rect.bar').count()).toBe(withValues);
    const bar = page.locator('rect.bar[data-kpi="sorting_coverage"]');
    const line = page.locator('line.target[data-kpi="sorting_coverage"]');
    expect(await line.getAttribute('data-target')).toBe('0.95');
    const track = await page.locator('rect.track').first().boundingBox();
    const barBox = await bar.boundingBox();
    const lineBox = await line.boundingBox();
    expect(track && barBox && lineBox).toBeTruthy();
    // 19/20 = 95%: the bar ends at the target line, 95% of the track.
    expect(barBox!.width / track!.width).toBeCloseTo(0.95, 2);
    expect((lineBox!.x + lineBox!.width / 2 - track!.x) / track!.width).toBeCloseTo(0.95, 2);
    expect(await page.locator('rect.bar[data-kpi="sorting_accuracy"]').getAttribute('data-met')).toBe('false');

    expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);

    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect((await stat(png)).size).toBeGreaterThan(20_000);
    process.stdout.write(`report screenshot: ${png}\n`);
    await page.close();
  }, 60_000);
});
