/**
 * Expands a panel's InfluxQL the way Grafana's InfluxDB datasource does for a single-valued
 * variable, so tests (and people) can run a dashboard's queries without Grafana.
 */

export interface ExpandOptions {
  /** `$timeFilter`'s lower bound as an InfluxQL duration: `24h` → `time >= now() - 24h`. */
  range?: string;
  /** `$__interval` (and `$interval`). */
  interval?: string;
  /** Template variables: name → value, inserted as is (the query quotes it: `'$site'`). */
  variables?: Record<string, string>;
}

/** `$timeFilter`, `$__interval`, `$interval`, `$name` and `${name}`; unknown variables stay. */
export function expandQuery(q: string, options: ExpandOptions = {}): string {
  const vars = options.variables ?? {};
  const interval = options.interval ?? '1h';
  return q
    .replaceAll('$timeFilter', `time >= now() - ${options.range ?? '24h'}`)
    .replaceAll('$__interval', interval)
    .replace(/\$interval\b/g, interval)
    .replace(/\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)/g, (m, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? m);
}
