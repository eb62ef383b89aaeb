/**
 * The YAML format of `dashboards/*.yaml` (documented in dashboards/README.md), validated with zod.
 * Shared components live in `dashboards/_components.yaml`; a panel `use`s one `with` parameters
 * that fill its `{placeholder}`s.
 */
import { z } from 'zod';

/** Panel types the builder emits (Grafana's built-in visualisations). */
export const PANEL_TYPES = ['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'barchart'] as const;

/** A parameter's value: a whole-string placeholder takes its type (`width: "{width}"` → 12). */
export const paramValue = z.union([z.string(), z.number()]);

const name = z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _');

export const targetSchema = z.strictObject({
  /** InfluxQL; may use $timeFilter, $__interval and the dashboard's $variables. */
  query: z.string().min(1),
  /** Legend alias, e.g. `$tag_category`. */
  alias: z.string().optional(),
  format: z.enum(['time_series', 'table']).optional(),
});

export const thresholdSchema = z.strictObject({
  value: z.number(),
  color: z.string().min(1),
});

export const panelSchema = z
  .strictObject({
    title: z.string().min(1),
    type: z.enum(PANEL_TYPES).default('timeseries'),
    description: z.string().optional(),
    /** Grafana unit id: percent, percentunit, short, none, … */
    unit: z.string().min(1),
    /** Columns of 24; panels wrap to the next line. */
    width: z.number().int().min(1).max(24).default(12),
    height: z.number().int().min(1).max(40).default(8),
    min: z.number().optional(),
    max: z.number().optional(),
    decimals: z.number().int().min(0).optional(),
    /** Steps above the base colour; drawn as lines on time series. */
    thresholds: z.array(thresholdSchema).optional(),
    baseColor: z.string().default('green'),
    /** Time series drawn as bars (counts per interval). */
    bars: z.boolean().optional(),
    /** Targets get refIds A…Z. */
    targets: z.array(targetSchema).min(1).max(26),
    /** Tables only: the column the rows are sorted by, ascending unless `desc` (worst first for a KPI). */
    sortBy: z.strictObject({ column: z.string().min(1), desc: z.boolean().default(false) }).optional(),
  })
  .refine((p) => p.sortBy === undefined || p.type === 'table', { path: ['sortBy'], message: 'only tables sort' });
export type PanelSpec = z.infer<typeof panelSchema>;

/** A panel taken from a shared component. */
export const usePanelSchema = z.strictObject({
  use: name,
  with: z.record(z.string(), paramValue).default({}),
});

/** A variable whose values an InfluxQL query lists: a drop-down, single-valued. */
export const queryVariableSchema = z.strictObject({
  name,
  label: z.string().optional(),
  /** InfluxQL returning the values, e.g. SHOW TAG VALUES FROM "device_health" WITH KEY = "site". */
  query: z.string().min(1),
});

/** A hidden variable with one value, e.g. `{site}` in a dashboard built once per site (`each`). */
export const constantVariableSchema = z.strictObject({
  name,
  label: z.string().optional(),
  value: z.union([z.string().min(1), z.number()]).transform(String),
});

export const variableSchema = z.union([queryVariableSchema, constantVariableSchema]);

export const rowSchema = z.strictObject({
  title: z.string().min(1),
  collapsed: z.boolean().default(false),
  panels: z.array(z.union([usePanelSchema, z.record(z.string(), z.unknown())])).min(1),
});

export const dashboardSchema = z.strictObject({
  title: z.string().min(1),
  description: z.string().optional(),
  tags: z.array(z.string()).default([]),
  refresh: z.string().default('1m'),
  time: z.strictObject({ from: z.string(), to: z.string() }).default({ from: 'now-24h', to: 'now' }),
  timezone: z.string().default('browser'),
  variables: z.array(variableSchema).default([]),
  /**
   * One dashboard per value of a list parameter: `each: {site: [maple-court, birch-lane]}` builds
   * `<file>-maple-court` and `<file>-birch-lane`, with `{site}` filled in everywhere.
   */
  each: z
    .record(
      name,
      z
        .array(
          z.union([z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -'), z.number()]).transform(String),
        )
        .min(1),
    )
    .refine((e) => Object.keys(e).length === 1, 'exactly one list parameter')
    .optional(),
  rows: z.array(rowSchema).min(1),
});
export type DashboardSpec = z.infer<typeof dashboardSchema>;

/**
 * `_components.yaml`: name → a panel whose strings may hold `{placeholder}`s, and optional `params`:
 * default values for placeholders a `with` may leave out.
 */
export const componentsSchema = z.record(name, z.record(z.string(), z.unknown()));
export const componentParamsSchema = z.record(name, paramValue).default({});
export type Components = z.infer<typeof componentsSchema>;
