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
import { input } from './fixtures.ts';
import { testDir } from '../helpers/tmp.ts';

describe('renderMarkdown', () => {
  const md = renderMarkdown(buildReport(input()));
  it('holds the KPI table with value, target, met, previous and change', () => {
    expect(md).toContain('# Monitoring report: maple-court, day 2026-11-27');
    expect(md).toContain('| KPI | value | target | met | previous | change | numerator / denominator | status |');
    expect(md).toContain('| sorting_coverage | 95.0% | ≥ 95% | met | 90.0% | +5.0 pp | 19 / 20 | ok |');
    expect(md).toContain('| sorting_accuracy | 85.0% | ≥ 90% | not met | — | — | 17 / 20 | ok |');
    expect(md).toContain(
      '| device_availability | 97.2% | ≥ 98% | not met | 100.0% | −2.8 pp | 70 / 72 | warning: unregistered_devices_heard |',
    );
    expect(md).toContain('| bin_overflow_alarms | 2 | ≤ 3 | met | — | — | 2 | ok |');
    expect(md).toContain(
      '| gate_denied_rate | — | informative | — | 25.0% | — | 0 / 0 | no value: no_access_attempts |',
    );
    expect(md).toContain('| gate_security_alarms | 3 | informative | — | 1 | +2 | 3 | ok |');
    expect(md).toContain('**3 met, 2 not met**');
  });
  it('holds the device lists and the data-quality counts', () => {
    expect(md).toContain('| bin-03 | waste-bin | never | — |');
    expect(md).toContain('| gate-01 | access-gate | 2026-11-27T06:00:00+08:00 | 18 |');
    expect(md).toContain('| bin-02 | 1 | 2 | 3 |');
    expect(md).toContain('| gate-01 | 1 | 0 | 2 | 3 |');
    expect(md).toContain('4 dead letters received in the period.');
    expect(md).toContain('| schema | 3 |');
    expect(md).toContain('| device_availability | unregistered_devices_heard |');
  });
  it('escapes table syntax in names', () => {
    const r = buildReport(input({ deadLetters: [{ reasons: ['a|b<c>'] }] }));
    expect(renderMarkdown(r)).toContain('| a\\|b&lt;c&gt; | 1 |');
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: no script, no external URL', () => {
    const html = renderHtml(buildReport(input()));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(6); // 7 KPIs, one without a value
    expect(html).toContain('<line class="target" data-kpi="sorting_coverage" data-target="0.95"');
    expect(html).toMatch(
      /<tr data-kpi="sorting_coverage"><td>sorting_coverage<\/td><td>95\.0%<\/td><td>≥ 95%<\/td><td class="met">met<\/td>/,
    );
    expect(html).toMatch(/<tr data-kpi="sorting_accuracy">.*<td class="not-met">not met<\/td>/);
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
    await saveReport(dataDir, r, { trigger: 'late', at: Date.parse('2026-11-28T00:00:00Z') });
    let [e] = await listReports(dataDir, 'maple-court');
    // The first build of a period is no rebuild, whatever triggered it (the start's backfill).
    expect(e!.meta).toEqual({ builtAt: '2026-11-28T00:00:00.000Z', trigger: 'late', lateRebuilds: 0 });
    await writeFile(join(dir, 'day-2026-11-27.pdf'), '%PDF-1.4 old');
    expect((await listReports(dataDir, 'maple-court'))[0]!.formats).toEqual(['json', 'md', 'html', 'pdf']);
    await saveReport(dataDir, r, { trigger: 'late', at: Date.parse('2026-11-28T01:00:00Z') });
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
