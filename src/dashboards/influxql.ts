/**
 * An InfluxQL target for Grafana's InfluxDB datasource as a foundation-SDK builder. The SDK ships
 * query builders for Prometheus, Loki and others but none for InfluxDB, so this is the
 * small one we need: raw InfluxQL only, the mode our YAML format writes.
 *
 * Field names and values follow Grafana's `InfluxQuery` (public/app/plugins/datasource/influxdb/
 * types.ts): `query` + `rawQuery: true` is a raw InfluxQL target; `resultFormat` is
 * `time_series` | `table` | `logs`; `alias` is the legend (`$tag_<key>`, `$col`, `$m`).
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** How Grafana shapes an InfluxQL result. */
export type InfluxResultFormat = 'time_series' | 'table' | 'logs';

/** One raw-InfluxQL target of a Grafana panel. */
export interface InfluxQuery extends Dataquery {
  refId: string;
  datasource?: DataSourceRef;
  rawQuery: true;
  query: string;
  resultFormat: InfluxResultFormat;
  alias?: string;
  hide?: boolean;
}

/** `new InfluxQueryBuilder(q).refId('A').resultFormat('table')`: a target for a panel's `withTarget`. */
export class InfluxQueryBuilder implements Builder<InfluxQuery> {
  private readonly internal: InfluxQuery;

  constructor(query: string) {
    if (query.trim() === '') throw new TypeError('an InfluxQL target needs a query');
    this.internal = {
      refId: 'A',
      rawQuery: true,
      query,
      resultFormat: 'time_series',
      // cog marks the data-query variant with this method; JSON output drops it.
      _implementsDataqueryVariant() {},
    };
  }

  /** Panel-unique id of the target (A, B, …); Grafana names series and transformations by it. */
  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(ref: DataSourceRef): this {
    this.internal.datasource = ref;
    return this;
  }

  resultFormat(format: InfluxResultFormat): this {
    this.internal.resultFormat = format;
    return this;
  }

  /** Legend text; `$tag_<key>` takes a GROUP BY tag's value. */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }

  build(): InfluxQuery {
    return this.internal;
  }
}
