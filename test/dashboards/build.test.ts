/** dashboards/*.yaml build into valid Grafana JSON; the CLI writes them; the format is checked. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardsCommand } from '../../src/cli/dashboards.ts';
import { buildDashboards, DATASOURCE, expandQuery, fillPlaceholders } from '../../src/dashboards/index.ts';
import { dashboardModel, dataPanels } from './grafana-model.ts';

const built = buildDashboards('dashboards');
const tmp = mkdtempSync(join(tmpdir(), 'dash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dashboards build', () => {
  it('builds the four dashboards with stable, unique uids', () => {
    expect(built.map((b) => b.json.uid)).toEqual(['ch-access-gates', 'ch-community-overview', 'ch-hub-health', 'ch-waste-stations']);
    expect(new Set(built.map((b) => b.json.uid)).size).toBe(built.length);
  });

  it.each(built.map((b) => [b.name, b] as const))('%s matches the Grafana model; every panel has a datasource, a unit and targets', (_n, b) => {
    const model = dashboardModel.parse(b.json);
    const panels = dataPanels(model);
    expect(panels.length).toBeGreaterThan(0);
    for (const p of panels) {
      expect(p.datasource.uid).toBe(DATASOURCE.uid);
      expect(p.fieldConfig.defaults.unit).not.toBe('');
      expect(p.targets.length).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      // Components were filled in: no {placeholder} is left.
      for (const t of p.targets) expect(t.query).not.toMatch(/(?<!\$)\{[a-z_]+\}/);
    }
    expect(model.templating.list.map((v) => v.name)).toContain('site');
  });

  it('draws the 95 % sorting-coverage target as a threshold line', () => {
    const overview = built.find((b) => b.name === 'community-overview')!.json;
    const trend = overview.panels.find((p) => p.type === 'timeseries' && p.title === 'Sorting coverage')!;
    const defaults = trend.fieldConfig!.defaults as unknown as { unit: string; thresholds: { steps: Array<{ value: number | null }> }; custom: { thresholdsStyle: { mode: string } } };
    expect(defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 0.95]);
    expect(defaults.custom.thresholdsStyle.mode).toBe('line');
    expect(defaults.unit).toBe('percentunit');
  });

  it('writes one JSON file per dashboard with the CLI', () => {
    const out = join(tmp, 'build');
    let text = '';
    const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
    expect(dashboardsCommand(['build', '--out', out], sink)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(built.map((b) => `${b.name}.json`));
    expect(JSON.parse(readFileSync(join(out, 'waste-stations.json'), 'utf8'))).toEqual(built.find((b) => b.name === 'waste-stations')!.json);
    expect(text).toContain('ch-hub-health');
  });

  it('refuses an invalid file and an unknown component with the file named', () => {
    for (const [content, message] of [
      ['title: x\nrows: [{title: r, panels: [{title: p, unit: short}]}]\n', /x\.yaml rows\[0\]\.panels\[0\]: targets/],
      ['title: x\nrows: [{title: r, panels: [{use: nope}]}]\n', /unknown component "nope"/],
      ['rows: []\n', /x\.yaml: title: .*rows: /],
    ] as const) {
      const d = mkdtempSync(join(tmp, 'bad-'));
      writeFileSync(join(d, 'x.yaml'), content);
      expect(() => buildDashboards(d)).toThrow(message);
    }
    expect(() => dashboardsCommand(['nope'])).toThrow(/unknown subcommand/);
  });

  it('fills placeholders, keeps whole-value types and leaves ${grafana} variables alone', () => {
    expect(fillPlaceholders({ a: '{n}', b: 'x {s} ${v} $tag_{t}' }, { n: 12, s: 'y', t: 'gate' }, 'w')).toEqual({ a: 12, b: 'x y ${v} $tag_gate' });
    expect(() => fillPlaceholders('{missing}', {}, 'here')).toThrow(/here: no value for placeholder \{missing\}/);
  });

  it('expands queries as Grafana does', () => {
    expect(expandQuery(`SELECT count(x) FROM m WHERE "site" = '$site' AND $timeFilter GROUP BY time($__interval), \${tag}`, { variables: { site: 'maple-court', tag: 'device' } })).toBe(
      `SELECT count(x) FROM m WHERE "site" = 'maple-court' AND time >= now() - 24h GROUP BY time(1h), device`,
    );
  });
});
