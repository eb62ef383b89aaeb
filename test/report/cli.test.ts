/**
 * `community-hub report` (docs/contract.md §7), run as a person would: the real command (bin shim)
 * against the test InfluxDB with a temporary config, inventory and data dir.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_IDS } from '../../src/kpi/index.ts';
import type { ReportData } from '../../src/report/index.ts';
import { hashSecret } from '../../src/secret.ts';
import type { InfluxPointWriter } from '../../src/store/index.ts';
import { runCli } from '../helpers/cli.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedInflux } from '../helpers/influx-shared.ts';
import { points, SITE } from '../kpi/dataset.ts';
import { freshDatabase } from '../kpi/helpers.ts';

// Variables a developer's shell might set; the environment wins over the file.
const ENV = {
  HUB_CONFIG: undefined,
  HUB_INVENTORY: undefined,
  HUB_PSEUDONYM_KEY: undefined,
  HUB_INFLUX_DATABASE: undefined,
  HUB_INFLUX_URL: undefined,
  HUB_DATA_DIR: undefined,
};
let writer: InfluxPointWriter;
let dir: string;
let config: string;
let database: string;

function writeConfig(name: string, url: string): string {
  const { token, username, password } = sharedInflux();
  const influx = {
    url,
    database,
    maxRetries: 0,
    ...(token ? { token } : {}),
    ...(username ? { username, password } : {}),
  };
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ pseudonymKey: 'report-cli-pseudonym-key', inventory: 'inventory.yaml', dataDir: 'data', influx }),
  ); // JSON is YAML
  return file;
}

beforeAll(async () => {
  const db = await freshDatabase('report_cli');
  ({ writer, database } = db);
  await writer.write(points());
  dir = mkdtempSync(join(tmpdir(), 'hub-report-cli-'));
  const devices = SITE.devices.map(([id, type]) => ({ id, type, model: 'generic-v1' }));
  const inventory = {
    sites: [
      {
        id: SITE.id,
        timezone: SITE.timezone,
        households: SITE.households,
        gateways: [{ id: 'gw-1', secret: hashSecret('cli-test-secret'), devices }],
      },
    ],
  };
  writeFileSync(join(dir, 'inventory.yaml'), JSON.stringify(inventory));
  config = writeConfig('hub.yaml', sharedInflux().url);
});
afterAll(async () => {
  await writer.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Each test spawns the command (tsx compiles on a cold cache) several times in a row: allow for a
// busy two-core machine. No timing is asserted.
describe('community-hub report', { timeout: 120_000 }, () => {
  it('prints Markdown (report.language: zh-CN by default) and keeps JSON, Markdown and HTML', async () => {
    const r = await runCli(
      ['report', '--site', SITE.id, '--period', 'day', '--date', '2026-11-27', '--config', config],
      { env: ENV },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# maple-court 监测日报：2026-11-27');
    expect(r.stdout).toContain(
      '| 垃圾分类覆盖率 | 95.0% | ≥ 95% | 达标 | 55.0% | +40.0 个百分点 | 19 / 20 | 警告：household_ids_unverified |',
    );
    const base = join(dir, 'data', 'reports', SITE.id, 'day-2026-11-27');
    expect(readFileSync(`${base}.md`, 'utf8')).toBe(r.stdout);
    expect((JSON.parse(readFileSync(`${base}.json`, 'utf8')) as ReportData).kpis).toHaveLength(KPI_IDS.length);
    expect(readFileSync(`${base}.html`, 'utf8')).toContain('<svg');
    expect(readFileSync(`${base}.html`, 'utf8')).toContain('<html lang="zh-CN">');
  });

  it('--lang en, and HUB_REPORT_LANGUAGE=en, print and keep English', async () => {
    const args = ['report', '-s', SITE.id, '-d', '2026-11-27', '--no-save', '-c', config];
    const [flag, env] = await Promise.all([
      runCli([...args, '--lang', 'en'], { env: ENV }),
      runCli(args, { env: { ...ENV, HUB_REPORT_LANGUAGE: 'en' } }),
    ]);
    for (const r of [flag, env]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('# Monitoring report: maple-court, day 2026-11-27');
      expect(r.stdout).toContain(
        '| Sorting coverage | 95.0% | ≥ 95% | met | 55.0% | +40.0 pp | 19 / 20 | warning: household_ids_unverified |',
      );
    }
  });

  it('--format json --out FILE writes there; a week is named by its Monday', async () => {
    const out = join(dir, 'week.json');
    const r = await runCli(
      ['report', '-s', SITE.id, '-p', 'week', '-d', '2026-11-20', '-f', 'json', '-o', out, '-c', config],
      { env: ENV },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const report = JSON.parse(readFileSync(out, 'utf8')) as ReportData;
    expect(report.period).toMatchObject({ kind: 'week', date: '2026-11-16', complete: true });
    expect(existsSync(join(dir, 'data', 'reports', SITE.id, 'week-2026-11-16.html'))).toBe(true);
  });

  it('--pdf keeps an A4 PDF printed by Chromium; without Chromium it says so, exits 1 and keeps the rest', async () => {
    const base = join(dir, 'data', 'reports', SITE.id, 'day-2026-11-26');
    const missing = await runCli(['report', '-s', SITE.id, '-d', '2026-11-26', '--pdf', '-c', config], {
      env: { ...ENV, HUB_REPORT_CHROMIUM: join(dir, 'no-chromium') },
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no PDF: no Chromium to run at .*no-chromium \(report\.chromium\)/);
    expect(existsSync(`${base}.html`)).toBe(true);
    expect(existsSync(`${base}.pdf`)).toBe(false);
    const r = await runCli(['report', '-s', SITE.id, '-d', '2026-11-26', '--pdf', '-c', config], { env: ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(`${base}.pdf`).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('--no-save keeps nothing', async () => {
    const r = await runCli(
      ['report', '-s', SITE.id, '-d', '2026-11-25', '--format', 'html', '--no-save', '-c', config],
      { env: ENV },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(existsSync(join(dir, 'data', 'reports', SITE.id, 'day-2026-11-25.html'))).toBe(false);
  });

  it('a quarter report carries the evaluation scorecard, with the hub evaluation settings', async () => {
    const env = {
      ...ENV,
      HUB_EVALUATION_TARGETS_SATISFACTION_GAIN: '0.5',
      HUB_EVALUATION_PRICES_RECYCLABLE: '2',
      HUB_EVALUATION_PRICES_KITCHEN: '0.5',
      HUB_EVALUATION_PRICES_HAZARDOUS: '0',
      HUB_EVALUATION_PRICES_RESIDUAL: '0',
    };
    const r = await runCli(
      [
        'report',
        '-s',
        SITE.id,
        '--period',
        'quarter',
        '-d',
        '2026-11-27',
        '--format',
        'json',
        '--no-save',
        '-c',
        config,
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReportData;
    // The site has no survey and no investment; its first deposit is on 2026-10-31 (test/kpi/dataset.ts).
    expect(report.evaluation).toMatchObject({
      asOf: { day: '2026-12-31', month: '2026-12' },
      satisfaction: { target: 0.5, wave: null, reason: 'no_waves' },
      funding: { investment: null, shares: null },
      payback: { start: '2026-10', reason: 'not_configured', withinThreeYears: null },
    });
    const coverage = report.kpis.find((k) => k.kpi === 'sorting_coverage')!;
    expect(report.evaluation!.kpis[0]).toMatchObject({ kpi: 'sorting_coverage', value: coverage.value });
  });

  it('--help, and usage errors exit 64', async () => {
    const help = await runCli(['report', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: community-hub report --site SITE');
    expect((await runCli(['--help'])).stdout).toContain('report --site S');
    const cases = [
      [['report', '--config', config], '--site is required'],
      [['report', '--site', 'nowhere', '--config', config], 'no site "nowhere"'],
      [['report', '--site', SITE.id, '--period', 'decade', '--config', config], '--period must be one of'],
      [['report', '--site', SITE.id, '--format', 'pdf', '--config', config], '--format must be one of'],
      [['report', '--site', SITE.id, '--lang', 'fr', '--config', config], '--lang must be one of zh-CN, en'],
      [['report', '--site', SITE.id, '--date', '2026-02-30', '--config', config], '2026-02-30'],
      [['report', '--bogus'], 'Unknown option'],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => runCli([...args], { env: ENV })));
    results.forEach((r, i) => {
      const [args, text] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain(text);
    });
  });

  it('InfluxDB unreachable exits 1 and keeps nothing', async () => {
    const bad = writeConfig('dead.yaml', await deadUrl());
    const r = await runCli(['report', '--site', SITE.id, '--date', '2026-11-24', '--config', bad], { env: ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HUB_ERR_INFLUX_UNREACHABLE');
    expect(existsSync(join(dir, 'data', 'reports', SITE.id, 'day-2026-11-24.md'))).toBe(false);
  });
});
