/**
 * Expands a panel's InfluxQL the way Grafana's InfluxDB datasource does for a single-valued
 * variable, so tests (and people) can run a dashboard's queries without Grafana.
 */

export interface ExpandOptions {
  /**
   * `$timeFilter` for a relative range ending now, as an InfluxQL duration: `24h` → `time >= now() - 24h`
   * (what Grafana writes for "Last 24 hours"). Default `24h`.
   */
  range?: string;
  /**
   * `$timeFilter` for an absolute range, epoch ms: `time >= 1764000000000ms and time <= 1764086400000ms`
   * (what Grafana writes for a fixed from/to). Wins over `range`.
   */
  between?: { from: number; to: number };
  /** `$__interval` (and `$interval`). */
  interval?: string;
  /** Template variables: name → value, inserted as is (the query quotes it: `'$site'`). */
  variables?: Record<string, string>;
}

function timeFilter(o: ExpandOptions): string {
  if (o.between) return `time >= ${Math.floor(o.between.from)}ms and time <= ${Math.floor(o.between.to)}ms`;
  return `time >= now() - ${o.range ?? '24h'}`;
}

/** `$timeFilter`, `$__interval`, `$interval`, `$name` and `${name}`; unknown variables stay. */
export function expandQuery(q: string, options: ExpandOptions = {}): string {
  const vars = options.variables ?? {};
  const interval = options.interval ?? '1h';
  return q
    .replaceAll('$timeFilter', timeFilter(options))
    .replaceAll('$__interval', interval)
    .replace(/\$interval\b/g, interval)
    .replace(
      /\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)/g,
      (m, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? m,
    );
}
