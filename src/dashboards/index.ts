/** Grafana dashboards from YAML (format: dashboards/README.md). */
export {
  buildDashboard,
  dashboardUid,
  DATASOURCE,
  fillPlaceholders,
  placeholders,
  type GrafanaDashboard,
} from './build.ts';
export { expandQuery, type ExpandOptions } from './expand.ts';
export { InfluxQueryBuilder, type InfluxQuery, type InfluxResultFormat } from './influxql.ts';
export {
  buildDashboards,
  DEFAULT_PARAMS,
  kpiTargetParams,
  loadComponents,
  type BuildOptions,
  type BuiltDashboard,
} from './load.ts';
export { dashboardSchema, PANEL_TYPES, type DashboardSpec } from './schema.ts';
