/**
 * Dashboards as YAML → Grafana dashboard JSON (schemaVersion 39). The JSON model is emitted
 * directly: it is small, stable and what Grafana's provisioning reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { HubError } from '../errors.ts';
import { componentsSchema, dashboardSchema, panelSchema, usePanelSchema, type Components, type DashboardSpec, type PanelSpec } from './schema.ts';

/** The provisioned InfluxDB datasource (dashboards/provisioning/datasources/influxdb.yaml). */
export const DATASOURCE = { type: 'influxdb', uid: 'community-influx' } as const;
export const SCHEMA_VERSION = 39;
export const COMPONENTS_FILE = '_components.yaml';

/** One built dashboard: its file name stem and Grafana's JSON model. */
export interface BuiltDashboard {
  name: string;
  json: GrafanaDashboard;
}

export interface GrafanaTarget {
  refId: string;
  datasource: typeof DATASOURCE;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  query: string;
  alias?: string;
}
export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: typeof DATASOURCE;
  targets?: GrafanaTarget[];
  fieldConfig?: { defaults: Record<string, unknown> & { unit: string }; overrides: unknown[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: GrafanaPanel[];
  description?: string;
}
export interface GrafanaDashboard {
  uid: string;
  title: string;
  description?: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  refresh: string;
  time: { from: string; to: string };
  timezone: string;
  templating: { list: unknown[] };
  annotations: { list: unknown[] };
  panels: GrafanaPanel[];
}

function invalid(file: string, message: string): never {
  throw new HubError('HUB_ERR_CONFIG_INVALID', `${file}: ${message}`);
}

function issues(file: string, error: z.ZodError): never {
  invalid(file, error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
}

/** A stable uid from the file name: `waste-stations.yaml` → `ch-waste-stations` (Grafana allows 40). */
export function dashboardUid(name: string): string {
  return `ch-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
}

/**
 * Replaces `{param}` (not `${…}`) in every string of `value`; an unknown placeholder is an error.
 * A string that is one placeholder takes the parameter's value and type.
 */
export function fillPlaceholders(value: unknown, params: Record<string, string | number>, where: string): unknown {
  if (typeof value === 'string') {
    // A whole-string placeholder keeps its value's type: `width: "{width}"` with 12 gives 12.
    const whole = /^\{([a-z_][a-z0-9_]*)\}$/.exec(value);
    if (whole && params[whole[1]!] !== undefined) return params[whole[1]!];
    return value.replace(/(?<!\$)\{([a-z_][a-z0-9_]*)\}/g, (_m, key: string) => {
      const v = params[key];
      if (v === undefined) throw new HubError('HUB_ERR_CONFIG_INVALID', `${where}: no value for placeholder {${key}}`);
      return String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, params, where));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, params, where)]));
  }
  return value;
}

function resolvePanel(raw: unknown, components: Components, where: string): PanelSpec {
  const use = usePanelSchema.safeParse(raw);
  let panel: unknown = raw;
  if (use.success) {
    const component = components[use.data.use];
    if (component === undefined) invalid(where, `unknown component "${use.data.use}"`);
    panel = fillPlaceholders(component, use.data.with, `${where} (component ${use.data.use})`);
  }
  const parsed = panelSchema.safeParse(panel);
  if (!parsed.success) issues(where, parsed.error);
  return parsed.data;
}

function fieldDefaults(p: PanelSpec): Record<string, unknown> & { unit: string } {
  const steps = [{ color: p.baseColor, value: null as number | null }, ...(p.thresholds ?? []).map((t) => ({ color: t.color, value: t.value }))];
  const defaults: Record<string, unknown> & { unit: string } = {
    unit: p.unit,
    thresholds: { mode: 'absolute', steps },
    color: { mode: p.type === 'timeseries' || p.type === 'barchart' ? 'palette-classic' : 'thresholds' },
  };
  if (p.min !== undefined) defaults['min'] = p.min;
  if (p.max !== undefined) defaults['max'] = p.max;
  if (p.decimals !== undefined) defaults['decimals'] = p.decimals;
  if (p.type === 'timeseries') {
    defaults['custom'] = {
      drawStyle: p.bars ? 'bars' : 'line',
      fillOpacity: p.bars ? 80 : 10,
      lineWidth: 1,
      spanNulls: true,
      thresholdsStyle: { mode: p.thresholds && p.thresholds.length > 0 ? 'line' : 'off' },
    };
  }
  return defaults;
}

function panelOptions(p: PanelSpec): Record<string, unknown> {
  switch (p.type) {
    case 'timeseries':
    case 'barchart':
      return { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } };
    case 'stat':
    case 'gauge':
    case 'bargauge':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } };
    case 'table':
      return { showHeader: true };
  }
}

/** Builds one dashboard's Grafana JSON from its parsed YAML. */
export function buildDashboard(name: string, spec: DashboardSpec, components: Components = {}): GrafanaDashboard {
  const panels: GrafanaPanel[] = [];
  let id = 1;
  let y = 0;
  for (const [r, row] of spec.rows.entries()) {
    const children: GrafanaPanel[] = [];
    const rowPanel: GrafanaPanel = { id: id++, type: 'row', title: row.title, collapsed: row.collapsed, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] };
    panels.push(rowPanel);
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const [i, raw] of row.panels.entries()) {
      const p = resolvePanel(raw, components, `${name}.yaml rows[${r}].panels[${i}]`);
      if (x + p.width > 24) {
        x = 0;
        y += lineHeight;
        lineHeight = 0;
      }
      const panel: GrafanaPanel = {
        id: id++,
        type: p.type,
        title: p.title,
        gridPos: { x, y, w: p.width, h: p.height },
        datasource: DATASOURCE,
        targets: p.targets.map((t, k) => ({
          refId: String.fromCharCode(65 + k),
          datasource: DATASOURCE,
          rawQuery: true,
          resultFormat: t.format ?? (p.type === 'table' ? 'table' : 'time_series'),
          query: t.query,
          ...(t.alias !== undefined ? { alias: t.alias } : {}),
        })),
        fieldConfig: { defaults: fieldDefaults(p), overrides: [] },
        options: panelOptions(p),
        ...(p.description !== undefined ? { description: p.description } : {}),
      };
      children.push(panel);
      x += p.width;
      lineHeight = Math.max(lineHeight, p.height);
    }
    y += lineHeight;
    // A collapsed row holds its panels; an open row is followed by them.
    if (row.collapsed) rowPanel.panels = children;
    else panels.push(...children);
  }
  return {
    uid: dashboardUid(name),
    title: spec.title,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    tags: spec.tags,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    editable: true,
    refresh: spec.refresh,
    time: spec.time,
    timezone: spec.timezone,
    templating: {
      list: spec.variables.map((v) => ({
        name: v.name,
        label: v.label ?? v.name,
        type: 'query',
        datasource: DATASOURCE,
        query: v.query,
        definition: v.query,
        refresh: 1,
        sort: 1,
        multi: false,
        includeAll: false,
      })),
    },
    annotations: { list: [] },
    panels,
  };
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    return invalid(file, (e as Error).message);
  }
}

/** Reads and validates `dir/_components.yaml` (none: no components). */
export function loadComponents(dir: string): Components {
  const file = join(dir, COMPONENTS_FILE);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    invalid(file, (e as Error).message);
  }
  const parsed = componentsSchema.safeParse(raw);
  if (!parsed.success) issues(file, parsed.error);
  return parsed.data;
}

/** Builds every `dir/*.yaml` except `_*.yaml`, sorted by name. */
export function buildDashboards(dir: string): BuiltDashboard[] {
  const components = loadComponents(dir);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('_')).sort();
  const built = files.map((f) => {
    const file = join(dir, f);
    const parsed = dashboardSchema.safeParse(readYaml(file));
    if (!parsed.success) issues(file, parsed.error);
    const name = basename(f, '.yaml');
    return { name, json: buildDashboard(name, parsed.data, components) };
  });
  const seen = new Set<string>();
  for (const b of built) {
    if (seen.has(b.json.uid)) invalid(join(dir, `${b.name}.yaml`), `uid ${b.json.uid} is not unique`);
    seen.add(b.json.uid);
  }
  return built;
}
