/**
 * One YAML panel → a foundation-SDK panel builder. What every panel shares (datasource, unit,
 * thresholds, targets, place on the grid) is set through the methods all SDK panel builders have;
 * what a visualisation needs of its own (line or bars, legend, reduce options) per type.
 */
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { InfluxQueryBuilder } from './influxql.ts';
import type { PanelSpec } from './schema.ts';

/** The methods every SDK panel builder has that the YAML format sets. */
interface CommonPanelBuilder extends Builder<dashboard.Panel> {
  id(id: number): this;
  title(title: string): this;
  description(description: string): this;
  datasource(ref: common.DataSourceRef): this;
  gridPos(pos: dashboard.GridPos): this;
  unit(unit: string): this;
  min(min: number): this;
  max(max: number): this;
  decimals(decimals: number): this;
  thresholds(thresholds: Builder<dashboard.ThresholdsConfig>): this;
  colorScheme(color: Builder<dashboard.FieldColor>): this;
  withTarget(target: InfluxQueryBuilder): this;
}

const legend = () =>
  new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .showLegend(true);
const tooltip = () =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.None);
/** Single-value panels show the last non-null value of each series. */
const lastValue = () => new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false);

function typed(p: PanelSpec): CommonPanelBuilder {
  const hasThresholds = (p.thresholds ?? []).length > 0;
  switch (p.type) {
    case 'timeseries':
      return (
        new timeseries.PanelBuilder()
          .drawStyle(p.bars ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
          .fillOpacity(p.bars ? 80 : 10)
          .lineWidth(1)
          .spanNulls(true)
          // A target such as the 95 % coverage line is drawn on the graph, so a reader sees at once whether it is met.
          .thresholdsStyle(
            new common.GraphThresholdsStyleConfigBuilder().mode(
              hasThresholds ? common.GraphThresholdsStyleMode.Line : common.GraphThresholdsStyleMode.Off,
            ),
          )
          .legend(legend())
          .tooltip(tooltip())
      );
    case 'barchart':
      return new barchart.PanelBuilder().legend(legend()).tooltip(tooltip());
    case 'stat':
      return new stat.PanelBuilder()
        .reduceOptions(lastValue())
        .graphMode(common.BigValueGraphMode.Area)
        .colorMode(common.BigValueColorMode.Value);
    case 'gauge':
      return new gauge.PanelBuilder().reduceOptions(lastValue());
    case 'bargauge':
      return new bargauge.PanelBuilder().reduceOptions(lastValue());
    case 'table': {
      const t = new table.PanelBuilder().showHeader(true).cellOptions({ type: common.TableCellDisplayMode.Auto });
      if (p.sortBy)
        t.sortBy([new common.TableSortByFieldStateBuilder().displayName(p.sortBy.column).desc(p.sortBy.desc)]);
      return withoutTableFooter(t);
    }
  }
}

/**
 * SDK 0.0.21 writes the table option `footer`, which Grafana 12.2 moved into the field config
 * (`custom.footer`); the Grafana we ship (12.3, docker-compose.yml) has no such option, so it is
 * left out rather than written for Grafana to migrate away.
 */
function withoutTableFooter(b: table.PanelBuilder): table.PanelBuilder {
  const build = b.build.bind(b);
  b.build = () => {
    const panel = build();
    if (panel.options && typeof panel.options === 'object') delete (panel.options as Record<string, unknown>)['footer'];
    return panel;
  };
  return b;
}

/** Where a panel sits and which datasource its targets use. */
export interface PanelPlace {
  id: number;
  gridPos: dashboard.GridPos;
  datasource: common.DataSourceRef;
}

/** A panel builder for one parsed YAML panel. */
export function panelBuilder(p: PanelSpec, place: PanelPlace): CommonPanelBuilder {
  const b = typed(p).id(place.id).title(p.title).gridPos(place.gridPos).datasource(place.datasource).unit(p.unit);
  if (p.description !== undefined) b.description(p.description);
  if (p.min !== undefined) b.min(p.min);
  if (p.max !== undefined) b.max(p.max);
  if (p.decimals !== undefined) b.decimals(p.decimals);
  const steps: dashboard.Threshold[] = [
    { color: p.baseColor, value: null },
    ...(p.thresholds ?? []).map((t) => ({ color: t.color, value: t.value })),
  ];
  b.thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
  const series = p.type === 'timeseries' || p.type === 'barchart';
  b.colorScheme(
    new dashboard.FieldColorBuilder().mode(
      series ? dashboard.FieldColorModeId.PaletteClassic : dashboard.FieldColorModeId.Thresholds,
    ),
  );
  for (const [k, t] of p.targets.entries()) {
    const q = new InfluxQueryBuilder(t.query)
      .refId(String.fromCharCode(65 + k))
      .datasource(place.datasource)
      .resultFormat(t.format ?? (p.type === 'table' ? 'table' : 'time_series'));
    if (t.alias !== undefined) q.alias(t.alias);
    b.withTarget(q);
  }
  return b;
}
