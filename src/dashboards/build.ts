/**
 * One parsed YAML dashboard → Grafana dashboard JSON, assembled with `@grafana/grafana-foundation-sdk`
 * builders: the SDK owns the JSON model and its defaults, we own the layout, the
 * components and the InfluxQL targets (./influxql.ts).
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { z } from 'zod';
import { HubError } from '../errors.ts';
import { panelBuilder } from './panels.ts';
import {
  componentParamsSchema,
  panelSchema,
  usePanelSchema,
  type Components,
  type DashboardSpec,
  type PanelSpec,
} from './schema.ts';

/** The provisioned InfluxDB datasource (dashboards/provisioning/datasources/influxdb.yaml). */
export const DATASOURCE = { type: 'influxdb', uid: 'community-influx' } as const;

/** Grafana's dashboard JSON model (the SDK's type of it). */
export type GrafanaDashboard = dashboard.Dashboard;

/** Grafana's grid is 24 columns wide. */
const GRID_COLUMNS = 24;

export function invalid(file: string, message: string): never {
  throw new HubError('HUB_ERR_CONFIG_INVALID', `${file}: ${message}`);
}

export function issues(file: string, error: z.ZodError): never {
  invalid(file, error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
}

/** A stable uid from the dashboard's name: `waste-stations` → `ch-waste-stations` (Grafana allows 40). */
export function dashboardUid(name: string): string {
  return `ch-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
}

const PLACEHOLDER = /(?<!\$)\{([a-z_][a-z0-9_]*)\}/g;

/** The `{placeholder}` names used anywhere in `value`'s strings. */
export function placeholders(value: unknown): Set<string> {
  return new Set([...JSON.stringify(value).matchAll(PLACEHOLDER)].map((m) => m[1]!));
}

/**
 * Replaces `{param}` (not `${…}`) in every string of `value`; an unknown placeholder is an error.
 * A string that is one placeholder takes the parameter's value and type.
 */
export function fillPlaceholders(
  value: unknown,
  params: Readonly<Record<string, string | number>>,
  where: string,
): unknown {
  if (typeof value === 'string') {
    // A whole-string placeholder keeps its value's type: `width: "{width}"` with 12 gives 12.
    const whole = /^\{([a-z_][a-z0-9_]*)\}$/.exec(value);
    if (whole && params[whole[1]!] !== undefined) return params[whole[1]!];
    return value.replace(PLACEHOLDER, (_m, key: string) => {
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
    const { params, ...body } = component;
    const defaults = componentParamsSchema.safeParse(params);
    if (!defaults.success) issues(`${where} (component ${use.data.use}) params`, defaults.error);
    // A `with` key the component never uses is a typo, not a no-op.
    const used = placeholders(body);
    const unused = Object.keys(use.data.with).filter((k) => !used.has(k));
    if (unused.length > 0) invalid(where, `component "${use.data.use}" has no placeholder {${unused.join('}, {')}}`);
    panel = fillPlaceholders(body, { ...defaults.data, ...use.data.with }, `${where} (component ${use.data.use})`);
  }
  const parsed = panelSchema.safeParse(panel);
  if (!parsed.success) issues(where, parsed.error);
  return parsed.data;
}

function variable(
  v: DashboardSpec['variables'][number],
): dashboard.QueryVariableBuilder | dashboard.ConstantVariableBuilder {
  if ('value' in v) return new dashboard.ConstantVariableBuilder(v.name).label(v.label ?? v.name).value(v.value);
  return new dashboard.QueryVariableBuilder(v.name)
    .label(v.label ?? v.name)
    .datasource(DATASOURCE)
    .query(v.query)
    .definition(v.query)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(false);
}

/**
 * Builds one dashboard's Grafana JSON (plain data, as written to disk) from its parsed YAML.
 * Panels fill a row's 24 columns left to right and wrap; an open row is followed by its panels,
 * a collapsed one holds them (Grafana's model for both).
 */
export function buildDashboard(name: string, spec: DashboardSpec, components: Components = {}): GrafanaDashboard {
  const b = new dashboard.DashboardBuilder(spec.title)
    .uid(dashboardUid(name))
    .tags(spec.tags)
    .refresh(spec.refresh)
    .time(spec.time)
    .timezone(spec.timezone)
    .editable()
    .version(1);
  if (spec.description !== undefined) b.description(spec.description);
  for (const v of spec.variables) b.withVariable(variable(v));
  let id = 1;
  let y = 0;
  for (const [r, row] of spec.rows.entries()) {
    const rowBuilder = new dashboard.RowBuilder(row.title)
      .id(id++)
      .collapsed(row.collapsed)
      .gridPos({ x: 0, y, w: GRID_COLUMNS, h: 1 });
    // The SDK places a row's own panels inside it: right for a collapsed row only.
    if (!row.collapsed) b.withRow(rowBuilder);
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const [i, raw] of row.panels.entries()) {
      const p = resolvePanel(raw, components, `${name}.yaml rows[${r}].panels[${i}]`);
      if (x + p.width > GRID_COLUMNS) {
        x = 0;
        y += lineHeight;
        lineHeight = 0;
      }
      const panel = panelBuilder(p, { id: id++, gridPos: { x, y, w: p.width, h: p.height }, datasource: DATASOURCE });
      if (row.collapsed) rowBuilder.withPanel(panel);
      else b.withPanel(panel);
      x += p.width;
      lineHeight = Math.max(lineHeight, p.height);
    }
    y += lineHeight;
    if (row.collapsed) b.withRow(rowBuilder);
  }
  // Plain JSON: what Grafana's file provider reads (drops the SDK's marker methods).
  return JSON.parse(JSON.stringify(b.build())) as GrafanaDashboard;
}
