/** Grafana dashboards from YAML (issue 8). */
export { buildDashboard, buildDashboards, dashboardUid, DATASOURCE, fillPlaceholders, loadComponents, SCHEMA_VERSION, type BuiltDashboard, type GrafanaDashboard, type GrafanaPanel } from './build.ts';
export { expandQuery, type ExpandOptions } from './expand.ts';
export { dashboardSchema, PANEL_TYPES, type DashboardSpec } from './schema.ts';
