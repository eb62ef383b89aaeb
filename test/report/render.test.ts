/** Renderers (JSON, Markdown, HTML) and kept reports (docs/contract.md §5). */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildReport,
  escapeHtml,
  listReports,
  pruneReports,
  renderHtml,
  renderMarkdown,
  renderReport,
  saveReport,
} from '../../src/report/index.ts';
import { KPI_IDS } from '../../src/kpi/index.ts';
import { input, kpis } from './fixtures.ts';
import { testDir } from '../helpers/tmp.ts';

describe('renderMarkdown in English', () => {
  const md = renderMarkdown(buildReport(input()), { lang: 'en' });
  it('holds the KPI table with title, value, target, met, previous and change', () => {
    expect(md).toContain('# Monitoring report: maple-court, day 2026-11-27');
    expect(md).toContain('Nov 27, 2026 (Asia/Shanghai), complete. 20 registered households.');
    expect(md).toContain('| KPI | value | target | met | previous | change | numerator / denominator | status |');
    expect(md).toContain('| Sorting coverage | 95.0% | ≥ 95% | met | 90.0% | +5.0 pp | 19 / 20 | ok |');
    expect(md).toContain('| Sorting accuracy | 85.0% | ≥ 90% | not met | — | — | 17 / 20 | ok |');
    expect(md).toContain(
      '| Device online rate | 97.2% | ≥ 98% | not met | 100.0% | −2.8 pp | 70 / 72 | warning: unregistered_devices_heard |',
    );
    expect(md).toContain('| Bin overflow alarms | 2 | ≤ 3 | met | — | — | 2 | ok |');
    expect(md).toContain(
      '| Gate denied rate | — | informative | — | 25.0% | — | 0 / 0 | no value: no_access_attempts |',
    );
    expect(md).toContain('| Gate security alarms | 3 | informative | — | 1 | +2 | 3 | ok |');
    expect(md).toContain('**3 met, 2 not met**');
  });
  it('holds the buildings worst first, the trend, the device lists and the data-quality counts', () => {
    expect(md).toContain('| b3 | 4 | 75.0% ✗ | 3 | 1 | 100.0% | 4 |\n| b1 | 10 | 100.0% | 10 | 0 | 100.0% | 10 |');
    expect(md).toContain('Whole site: 0 more households sorting correctly reach the coverage target');
    expect(md).toContain('| 2026-11-26 | 90.0% | 95.0% | — | 100.0% | — | 25.0% | 1 |');
    expect(md).toContain('| 2026-11-25 | — | — | — | — | — | — | — |');
    expect(md).toContain('| bin-03 | waste-bin | b3 | never | — |');
    expect(md).toContain('| gate-01 | access-gate | none | Nov 27, 2026, 06:00 | 18 |');
    expect(md).not.toContain('| bin-01 | waste-bin |'); // heard 1 ms before the end: not silent
    expect(md).toContain('| bin-02 | 1 | 2 | 3 |');
    expect(md).toContain('| gate-01 | 1 | 0 | 2 | 3 |');
    expect(md).toContain('4 dead letters received in the period.');
    expect(md).toContain('| schema | 3 |');
    expect(md).toContain('| Device online rate | unregistered_devices_heard |');
  });
  it('marks a running period and its partial change', () => {
    const now = Date.parse('2026-11-27T10:00:00+08:00');
    const r = buildReport(input({ now, kpis: kpis().map((k) => ({ ...k, complete: false })) }));
    const text = renderMarkdown(r, { lang: 'en' });
    expect(text).toContain('running (so far)');
    expect(text).toContain('| Sorting coverage | 95.0% | ≥ 95% | met | 90.0% | +5.0 pp (partial) |');
    expect(text).toContain('| 2026-11-27 (running) | 95.0% |');
  });
  it('escapes table syntax in names', () => {
    const r = buildReport(input({ deadLetters: [{ reasons: ['a|b<c>'] }] }));
    expect(renderMarkdown(r, { lang: 'en' })).toContain('| a\\|b&lt;c&gt; | 1 |');
  });
});

describe('renderMarkdown in Chinese', () => {
  const md = renderMarkdown(buildReport(input()), { lang: 'zh-CN' });
  it('has Chinese titles, labels, dates and no English KPI title', () => {
    expect(md).toContain('# maple-court 监测日报：2026-11-27');
    expect(md).toContain('2026年11月27日（Asia/Shanghai），已结束。登记住户 20 户。');
    expect(md).toContain('| 指标 | 数值 | 目标 | 是否达标 | 上期 | 变化 | 分子 / 分母 | 状态 |');
    expect(md).toContain('| 垃圾分类覆盖率 | 95.0% | ≥ 95% | 达标 | 90.0% | +5.0 个百分点 | 19 / 20 | 正常 |');
    expect(md).toContain(
      '| 设备在线率 | 97.2% | ≥ 98% | 未达标 | 100.0% | −2.8 个百分点 | 70 / 72 | 警告：unregistered_devices_heard |',
    );
    expect(md).toContain('| b3 | 4 | 75.0% ✗ | 3 | 1 | 100.0% | 4 |');
    expect(md).toContain('最近 14 天');
    expect(md).toContain('| bin-03 | waste-bin | b3 | 从未上报 | — |');
    expect(md).not.toMatch(/Sorting coverage|Monitoring report|not met/);
  });
  it('is the default language (report.language defaults to zh-CN)', () => {
    expect(renderMarkdown(buildReport(input()))).toBe(md);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: no script, no external URL', () => {
    const html = renderHtml(buildReport(input()), { lang: 'en' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
    expect(html.match(/<rect class="bar" data-kpi=/g)).toHaveLength(6); // 7 KPIs, one without a value
    expect(html).toContain('<line class="target" data-kpi="sorting_coverage" data-target="0.95"');
    expect(html).toMatch(
      /<tr data-kpi="sorting_coverage"><td>Sorting coverage<\/td><td>95\.0%<\/td><td>≥ 95%<\/td><td class="met">met<\/td>/,
    );
    expect(html).toMatch(/<tr data-kpi="sorting_accuracy">.*<td class="not-met">not met<\/td>/);
    // One trend chart per KPI; the coverage one has a point per stored value and the target line.
    expect(html.match(/<svg [^>]*class="trend-chart"/g)).toHaveLength(KPI_IDS.length);
    expect(html.match(/<circle class="point" data-kpi="sorting_coverage"/g)).toHaveLength(7);
    expect(html).toMatch(/<line class="target" data-kpi="sorting_coverage" data-target="0\.95" x1="48"/);
    expect(html.match(/<rect class="bar" data-building=/g)).toHaveLength(3);
  });
  it('carries print CSS: A4 pages, no table or chart broken across pages', () => {
    const html = renderHtml(buildReport(input()), { lang: 'en' });
    expect(html).toContain('@page{size:A4');
    expect(html).toMatch(/@media print\{[^]*table,svg[^{]*\{break-inside:avoid/);
  });
  it('in Chinese: lang="zh-CN", Chinese titles in the table and the charts', () => {
    const html = renderHtml(buildReport(input()), { lang: 'zh-CN' });
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toMatch(/<tr data-kpi="sorting_coverage"><td>垃圾分类覆盖率<\/td>/);
    expect(html).toContain('<text x="48" y="16" class="chart-title">参与率</text>');
    expect(html).not.toContain('Sorting coverage');
  });
  it('escapes a site name holding <script>', () => {
    const evil = '<script>alert("x")</script>';
    const html = renderHtml(
      buildReport(
        input({
          site: { id: evil, timezone: 'Asia/Shanghai', households: 20 },
          deadLetters: [{ reasons: ["<img src=x onerror='y'>"] }],
        }),
      ),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('kept reports', () => {
  it('saves the three formats under <dataDir>/reports/<site>/ and lists them', async () => {
    const dataDir = testDir('hub-reports-');
    expect(await listReports(dataDir, 'maple-court')).toEqual([]);
    const r = buildReport(input());
    const paths = await saveReport(dataDir, r);
    expect(paths.md).toBe(join(dataDir, 'reports', 'maple-court', 'day-2026-11-27.md'));
    expect(JSON.parse(await readFile(paths.json, 'utf8'))).toEqual(r);
    expect(await readFile(paths.html, 'utf8')).toBe(renderReport(r, 'html'));
    const en = await saveReport(dataDir, r, { lang: 'en' });
    expect(await readFile(en.md, 'utf8')).toBe(renderReport(r, 'md', { lang: 'en' }));
    expect(renderReport(r, 'json', { lang: 'en' })).toBe(renderReport(r, 'json', { lang: 'zh-CN' }));
    await writeFile(join(dataDir, 'reports', 'maple-court', 'week-2026-11-23.json'), '{}');
    await writeFile(join(dataDir, 'reports', 'maple-court', 'notes.txt'), 'ignored');
    const list = await listReports(dataDir, 'maple-court');
    expect(list.map((e) => [e.kind, e.date, e.formats])).toEqual([
      ['day', '2026-11-27', ['json', 'md', 'html']],
      ['week', '2026-11-23', ['json']],
    ]);
    await expect(saveReport(dataDir, { ...r, site: '../evil' })).rejects.toThrow(/not a site id/);
  });

  it('records each build, counts rebuilds after late data, and drops a stale PDF', async () => {
    const dataDir = testDir('hub-reports-');
    const r = buildReport(input());
    const dir = join(dataDir, 'reports', 'maple-court');
    await saveReport(dataDir, r, {}, { trigger: 'late', at: Date.parse('2026-11-28T00:00:00Z') });
    let [e] = await listReports(dataDir, 'maple-court');
    // The first build of a period is no rebuild, whatever triggered it (the start's backfill).
    expect(e!.meta).toEqual({ builtAt: '2026-11-28T00:00:00.000Z', trigger: 'late', lateRebuilds: 0 });
    await writeFile(join(dir, 'day-2026-11-27.pdf'), '%PDF-1.4 old');
    expect((await listReports(dataDir, 'maple-court'))[0]!.formats).toEqual(['json', 'md', 'html', 'pdf']);
    await saveReport(dataDir, r, {}, { trigger: 'late', at: Date.parse('2026-11-28T01:00:00Z') });
    [e] = await listReports(dataDir, 'maple-court');
    expect(e!.meta).toEqual({ builtAt: '2026-11-28T01:00:00.000Z', trigger: 'late', lateRebuilds: 1 });
    expect(e!.formats).toEqual(['json', 'md', 'html']);
    await saveReport(dataDir, r);
    [e] = await listReports(dataDir, 'maple-court');
    expect(e!.meta).toMatchObject({ trigger: 'demand', lateRebuilds: 1 });
  });

  it('pruneReports keeps the newest periods of one kind and removes every file of the others', async () => {
    const dataDir = testDir('hub-reports-');
    const r = buildReport(input());
    const dir = join(dataDir, 'reports', 'maple-court');
    await mkdir(dir, { recursive: true });
    for (const date of ['2026-11-24', '2026-11-25', '2026-11-26'])
      await saveReport(dataDir, { ...r, period: { ...r.period, date } });
    await writeFile(join(dir, 'day-2026-11-24.pdf'), '%PDF-');
    await writeFile(join(dir, 'week-2026-11-16.json'), '{}');
    expect(await pruneReports(dataDir, 'maple-court', 'day', 2)).toEqual(['day-2026-11-24']);
    expect((await readdir(dir)).filter((f) => f.includes('2026-11-24'))).toEqual([]);
    expect((await listReports(dataDir, 'maple-court')).map((x) => `${x.kind}-${x.date}`)).toEqual([
      'day-2026-11-26',
      'day-2026-11-25',
      'week-2026-11-16',
    ]);
    expect(await pruneReports(dataDir, 'maple-court', 'day', 2)).toEqual([]);
  });
});
