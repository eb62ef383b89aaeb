/**
 * dashboards/*.yaml build into Grafana JSON that Grafana's own schema accepts; the CLI writes them;
 * the YAML format's rules (components, parameters, `each`) hold and refuse what they should.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsCommand } from '../../src/cli/dashboards.ts';
import {
  buildDashboards,
  DATASOURCE,
  DEFAULT_PARAMS,
  expandQuery,
  fillPlaceholders,
  kpiTargetParams,
  PANEL_TYPES,
  type GrafanaDashboard,
} from '../../src/dashboards/index.ts';
import { dashboardModel, dataPanels } from './grafana-model.ts';
import { explain, GRAFANA_SCHEMA_VERSION, grafanaValidators, type GrafanaValidators } from './grafana-schema.ts';

const built = buildDashboards('dashboards');
const tmp = mkdtempSync(join(tmpdir(), 'dash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let grafana: GrafanaValidators;
// Generating the schemas from Grafana's types takes seconds the first time (then cached).
beforeAll(() => {
  grafana = grafanaValidators(PANEL_TYPES);
}, 180_000);

/** Problems Grafana's schemas find in one dashboard, panel plugins' options included. */
function schemaProblems(d: unknown): string[] {
  const problems: string[] = [];
  if (!grafana.dashboard(d)) problems.push(explain(grafana.dashboard.errors));
  // Walked loosely: the input may be a deliberately broken copy.
  type Loose = {
    type: string;
    title?: string;
    options?: unknown;
    fieldConfig?: { defaults?: { custom?: unknown } };
    panels?: Loose[];
  };
  const panels = ((d as { panels?: Loose[] }).panels ?? []).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
  for (const p of panels) {
    const options = grafana.options.get(p.type);
    if (options && !options(p.options)) problems.push(`${p.title} options: ${explain(options.errors)}`);
    // Grafana fills a plugin's field-config defaults when `custom` is absent (tables here).
    const custom = grafana.custom.get(p.type);
    const given = p.fieldConfig?.defaults?.custom;
    if (custom && given !== undefined && !custom(given))
      problems.push(`${p.title} fieldConfig.defaults.custom: ${explain(custom.errors)}`);
  }
  return problems;
}

function panelByTitle(d: GrafanaDashboard, type: string, title: string) {
  const found = dataPanels(dashboardModel.parse(d)).find((p) => p.type === type && p.title === title);
  if (!found) throw new Error(`no ${type} panel "${title}"`);
  return found;
}

/** A panel's threshold step values (null: the base colour). */
function thresholdValues(p: ReturnType<typeof panelByTitle>): Array<number | null> {
  return (p.fieldConfig.defaults['thresholds'] as { steps: Array<{ value: number | null }> }).steps.map((s) => s.value);
}

describe('dashboards build', () => {
  it('builds the five dashboards with stable, unique uids', () => {
    expect(built.map((b) => b.json.uid)).toEqual([
      'ch-access-gates',
      'ch-community-overview',
      'ch-hub-health',
      'ch-programme-evaluation',
      'ch-waste-stations',
    ]);
    expect(new Set(built.map((b) => b.json.uid)).size).toBe(built.length);
  });

  it('runs the Grafana whose schema the dashboards are checked against', () => {
    const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
      services: Record<string, { image?: string }>;
    };
    expect(compose.services['grafana']?.image).toBe(`grafana/grafana:${GRAFANA_SCHEMA_VERSION}`);
  });

  it.each(built.map((b) => [b.name, b] as const))(
    `%s is valid against Grafana ${GRAFANA_SCHEMA_VERSION}'s dashboard and panel schemas`,
    (_n, b) => {
      expect(schemaProblems(b.json)).toEqual([]);
    },
  );

  it.each(built.map((b) => [b.name, b] as const))(
    '%s: every panel has the datasource, a unit and raw InfluxQL targets',
    (_n, b) => {
      const model = dashboardModel.parse(b.json);
      const panels = dataPanels(model);
      expect(panels.length).toBeGreaterThan(0);
      for (const p of panels) {
        expect(p.datasource).toEqual(DATASOURCE);
        expect(p.fieldConfig.defaults.unit).not.toBe('');
        expect(p.targets.map((t) => t.refId)).toEqual(p.targets.map((_t, i) => String.fromCharCode(65 + i)));
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        for (const t of p.targets) {
          expect(t.datasource).toEqual(DATASOURCE);
          // Components and parameters were filled in: no {placeholder} is left.
          expect(t.query).not.toMatch(/(?<!\$)\{[a-z_]+\}/);
        }
      }
      expect(model.templating.list.map((v) => v.name)).toContain('site');
    },
  );

  it('the schema check refuses what Grafana would not read', () => {
    const base = built.find((b) => b.name === 'community-overview')!.json;
    const series = (base.panels ?? []).findIndex((p) => p.type === 'timeseries');
    const mutations: Array<[string, Array<string | number>, unknown, RegExp]> = [
      ['an unknown dashboard field', ['panelz'], [], /additionalProperty":"panelz"/],
      ['a width that is not a number', ['panels', 1, 'gridPos', 'w'], 'wide', /\/panels\/1\/gridPos\/w must be number/],
      [
        'an unknown variable refresh mode',
        ['templating', 'list', 0, 'refresh'],
        7,
        /\/templating\/list\/0\/refresh must be equal to one of the allowed values/,
      ],
      [
        'a stat colour mode Grafana lacks',
        ['panels', 1, 'options', 'colorMode'],
        'rainbow',
        /options: \/colorMode must be equal to one of the allowed values/,
      ],
      [
        'a line style Grafana lacks',
        ['panels', series, 'fieldConfig', 'defaults', 'custom', 'drawStyle'],
        'zigzag',
        /custom: \/drawStyle must be equal/,
      ],
    ];
    for (const [what, path, value, error] of mutations) {
      const copy = structuredClone(base) as unknown as Record<string | number, unknown>;
      let at = copy;
      for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
      at[path.at(-1)!] = value;
      expect(schemaProblems(copy).join('\n'), what).toMatch(error);
    }
  });

  it('draws the sorting-coverage target from kpi.targets as a threshold line', () => {
    const trend = panelByTitle(
      built.find((b) => b.name === 'community-overview')!.json,
      'timeseries',
      'Sorting coverage',
    );
    expect(thresholdValues(trend)).toEqual([null, DEFAULT_PARAMS['kpi_target_sorting_coverage']]);
    expect(DEFAULT_PARAMS['kpi_target_sorting_coverage']).toBe(0.95);
    expect(trend.fieldConfig.defaults['custom']).toMatchObject({ thresholdsStyle: { mode: 'line' } });
    expect(trend.fieldConfig.defaults.unit).toBe('percentunit');
    // Another target in the hub's config moves the line and the stat's colour step.
    const params = kpiTargetParams({
      sorting_coverage: 0.97,
      participation_rate: 0.9,
      sorting_accuracy: 0.9,
      device_availability: 0.98,
      bin_overflow_alarms: { day: 3, week: 20, month: 80, quarter: 240, year: 960 },
      diversion_rate: 0.35,
    });
    expect(params['kpi_target_bin_overflow_alarms_week']).toBe(20);
    const moved = buildDashboards('dashboards', { params }).find((b) => b.name === 'community-overview')!.json;
    for (const type of ['timeseries', 'stat'])
      expect(thresholdValues(panelByTitle(moved, type, 'Sorting coverage'))).toEqual([null, 0.97]);
  });

  it('writes one JSON file per dashboard with the CLI, KPI targets from --config', () => {
    const out = join(tmp, 'build');
    let text = '';
    const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
    expect(dashboardsCommand(['build', '--out', out], sink)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(built.map((b) => `${b.name}.json`));
    expect(JSON.parse(readFileSync(join(out, 'waste-stations.json'), 'utf8'))).toEqual(
      built.find((b) => b.name === 'waste-stations')!.json,
    );
    expect(text).toContain('ch-hub-health');

    const config = join(tmp, 'hub.yaml');
    writeFileSync(
      config,
      `inventory: ${resolve('config/inventory.yaml')}\npseudonymKey: 0123456789abcdef0123\nkpi: {targets: {sorting_coverage: 0.9}}\n`,
    );
    expect(dashboardsCommand(['build', '--out', out, '--config', config], sink)).toBe(0);
    const overview = JSON.parse(readFileSync(join(out, 'community-overview.json'), 'utf8')) as GrafanaDashboard;
    expect(thresholdValues(panelByTitle(overview, 'stat', 'Sorting coverage'))).toEqual([null, 0.9]);
  });

  it('builds a dashboard once per value of its each parameter, values from the file or --each', () => {
    const d = mkdtempSync(join(tmp, 'each-'));
    writeFileSync(
      join(d, 'site.yaml'),
      [
        'title: "Site {site}"',
        'each: {site: [maple-court, birch-lane]}',
        'variables: [{name: site, value: "{site}"}]',
        'rows: [{title: r, panels: [{title: "Bins at {site}", unit: percent, targets: [{query: "SELECT mean(fill_pct) FROM bin_level WHERE site = \'$site\' AND $timeFilter"}]}]}]',
      ].join('\n'),
    );
    const fromFile = buildDashboards(d);
    expect(fromFile.map((b) => [b.name, b.json.uid, b.json.title])).toEqual([
      ['site-maple-court', 'ch-site-maple-court', 'Site maple-court'],
      ['site-birch-lane', 'ch-site-birch-lane', 'Site birch-lane'],
    ]);
    const model = dashboardModel.parse(fromFile[1]!.json);
    expect(model.templating.list[0]).toMatchObject({ name: 'site', type: 'constant', query: 'birch-lane' });
    expect(dataPanels(model)[0]!.title).toBe('Bins at birch-lane');
    for (const b of fromFile) expect(schemaProblems(b.json)).toEqual([]);

    const out = join(d, 'out');
    expect(
      dashboardsCommand(['build', '--from', d, '--out', out, '--each', 'site=oak-row'], {
        write: () => true,
      } as unknown as NodeJS.WritableStream),
    ).toBe(0);
    expect(readdirSync(out)).toEqual(['site-oak-row.json']);
    expect(() => dashboardsCommand(['build', '--from', d, '--each', 'site'])).toThrow(/--each wants NAME=VALUE/);
    expect(() => dashboardsCommand(['build', '--from', d, '--each', 'sites=a'])).toThrow(
      /no dashboard has a list parameter "sites"/,
    );
    // A value becomes a file name: nothing that could leave the output folder.
    expect(() => dashboardsCommand(['build', '--from', d, '--out', out, '--each', 'site=../escape'])).toThrow(
      /each site: "\.\.\/escape" is not a value/,
    );
  });

  it('refuses invalid files, unknown components and parameters, with the file named', () => {
    const cases: Array<[string, RegExp, string?]> = [
      ['title: x\nrows: [{title: r, panels: [{title: p, unit: short}]}]\n', /x\.yaml rows\[0\]\.panels\[0\]: targets/],
      ['title: x\nrows: [{title: r, panels: [{use: nope}]}]\n', /unknown component "nope"/],
      ['rows: []\n', /x\.yaml: title: .*rows: /],
      [
        'title: "{nope}"\nrows: [{title: r, panels: [{use: c}]}]\n',
        /x\.yaml: no value for placeholder \{nope\}/,
        'c: {title: t, unit: short, targets: [{query: q}]}\n',
      ],
      [
        'title: x\nrows: [{title: r, panels: [{use: c, with: {titel: y}}]}]\n',
        /component "c" has no placeholder \{titel\}/,
        'c: {title: "{title}", unit: short, targets: [{query: q}], params: {title: t}}\n',
      ],
      [
        'title: x\neach: {a: [1], b: [2]}\nrows: [{title: r, panels: [{use: c}]}]\n',
        /each: exactly one list parameter/,
        'c: {title: t, unit: short, targets: [{query: q}]}\n',
      ],
      [
        'title: x\nrows: [{title: r, panels: [{title: p, unit: short, sortBy: {column: v}, targets: [{query: q}]}]}]\n',
        /x\.yaml rows\[0\]\.panels\[0\]: sortBy: only tables sort/,
      ],
    ];
    for (const [content, message, components] of cases) {
      const d = mkdtempSync(join(tmp, 'bad-'));
      writeFileSync(join(d, 'x.yaml'), content);
      if (components !== undefined) writeFileSync(join(d, '_components.yaml'), components);
      expect(() => buildDashboards(d), content).toThrow(message);
    }
    expect(() => dashboardsCommand(['nope'])).toThrow(/unknown subcommand/);
  });

  it('fills placeholders, keeps whole-value types and leaves ${grafana} variables alone; a component default applies', () => {
    expect(fillPlaceholders({ a: '{n}', b: 'x {s} ${v} $tag_{t}' }, { n: 12, s: 'y', t: 'gate' }, 'w')).toEqual({
      a: 12,
      b: 'x y ${v} $tag_gate',
    });
    expect(() => fillPlaceholders('{missing}', {}, 'here')).toThrow(/here: no value for placeholder \{missing\}/);
    // count_by's `filter` defaults to nothing.
    const deposits = panelByTitle(
      built.find((b) => b.name === 'waste-stations')!.json,
      'timeseries',
      'Deposits per interval by category',
    );
    expect(deposits.targets[0]!.query).toBe(
      `SELECT count("event_id") FROM "deposit" WHERE "site" = '$site'  AND $timeFilter GROUP BY time($__interval), "category" fill(0)`,
    );
  });

  it('expands queries as Grafana does', () => {
    expect(
      expandQuery(`SELECT count(x) FROM m WHERE "site" = '$site' AND $timeFilter GROUP BY time($__interval), \${tag}`, {
        variables: { site: 'maple-court', tag: 'device' },
      }),
    ).toBe(`SELECT count(x) FROM m WHERE "site" = 'maple-court' AND time >= now() - 24h GROUP BY time(1h), device`);
  });
});
