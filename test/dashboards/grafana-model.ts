/**
 * A typed view (zod) of the built dashboards' fields the tests read. Whether the JSON is what
 * Grafana accepts is checked against Grafana's own schema (./grafana-schema.ts); this only gives
 * the tests types and fails early on the shape they rely on.
 */
import { z } from 'zod';

const datasource = z.object({ type: z.literal('influxdb'), uid: z.string().min(1) });

export const targetModel = z.object({
  refId: z.string().min(1),
  datasource,
  rawQuery: z.literal(true),
  query: z.string().min(1),
});

const gridPos = z.object({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});

export const dataPanelModel = z.object({
  id: z.number().int(),
  type: z.enum(['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'barchart']),
  title: z.string().min(1),
  datasource,
  gridPos,
  targets: z.array(targetModel).min(1),
  options: z.record(z.string(), z.unknown()),
  fieldConfig: z.object({ defaults: z.object({ unit: z.string().min(1) }).loose(), overrides: z.array(z.unknown()) }),
});

export const rowPanelModel = z.object({
  id: z.number().int(),
  type: z.literal('row'),
  title: z.string().min(1),
  gridPos,
  collapsed: z.boolean(),
  panels: z.array(dataPanelModel),
});

export const dashboardModel = z.object({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int(),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({
    list: z.array(
      z.object({ name: z.string(), type: z.enum(['query', 'constant']), query: z.string().min(1) }).loose(),
    ),
  }),
  panels: z.array(z.union([rowPanelModel, dataPanelModel])).min(1),
});
export type DashboardModel = z.infer<typeof dashboardModel>;

/** Every non-row panel, including those inside collapsed rows. */
export function dataPanels(d: DashboardModel): Array<z.infer<typeof dataPanelModel>> {
  return d.panels.flatMap((p) => (p.type === 'row' ? p.panels : [p]));
}
