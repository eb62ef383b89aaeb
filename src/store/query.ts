/**
 * InfluxQL over `/query`, which 1.x answers natively and 2.x/3.x through their v1-compatible API
 * (docs/contract.md §4: "Reads use InfluxQL, which all of them answer").
 */
import { HubError } from '../errors.ts';
import { classifyInfluxError } from './classify.ts';
import type { InfluxConnection } from './connection.ts';

/** A value of one column in one row. */
export type QueryValue = string | number | boolean | null;

/** One row of a result, with the series it belongs to. */
export interface QueryRow<T extends Record<string, QueryValue> = Record<string, QueryValue>> {
  /** Index of the statement (queries may hold several, separated by `;`). */
  statement: number;
  /** The series name, normally the measurement (`SHOW` statements may have none: ''). */
  measurement: string;
  /** The series' tags (from `GROUP BY`); empty when not grouped. */
  tags: Readonly<Record<string, string>>;
  /** Column name → value, `time` included, formatted as `epoch` asks. */
  values: T;
}

/** Options of {@link query}. */
export interface QueryOptions {
  /**
   * How `time` comes back. `ns` (default): a decimal string of nanoseconds, exact (it is parsed
   * from InfluxDB's RFC3339 text, because `epoch=ns` numbers exceed 2^53 and JSON.parse would
   * round them). `ms`: a number (`epoch=ms`). `rfc3339`: InfluxDB's string.
   */
  epoch?: 'ns' | 'ms' | 'rfc3339';
  /** HTTP method; POST (default) also allows CREATE/DROP/ALTER and keeps long queries out of the URL. */
  method?: 'GET' | 'POST';
  /** `db`; default the settings' database; '' sends none (statements that name their database). */
  database?: string;
  /** `rp`; default the settings' retention policy (or the database's default); '' sends none. */
  retentionPolicy?: string;
  /** Bound parameters, referenced as `$name` in the query (1.x HTTP API `params`). */
  params?: Record<string, string | number | boolean>;
}

interface Series {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: QueryValue[][];
}
interface QueryResponse {
  results?: Array<{ statement_id?: number; series?: Series[]; error?: string }>;
  error?: string;
}

/** Nanoseconds since the epoch of an RFC3339 UTC time such as `2026-11-27T00:00:00.123456789Z`. */
export function rfc3339ToNs(text: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}Z`) : NaN;
  if (!m || Number.isNaN(ms)) throw new HubError('HUB_ERR_INFLUX_QUERY', `unexpected time "${text}" from InfluxDB`);
  return (BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))).toString();
}

/**
 * Runs InfluxQL and flattens each series (`{name, tags, columns, values}`) into row objects.
 * The caller names the row type `T`; nothing checks it at run time.
 * @throws HubError `HUB_ERR_INFLUX_QUERY` with InfluxDB's error text when it refuses the query or a
 *   statement; `HUB_ERR_INFLUX_UNREACHABLE` when it does not answer; `HUB_ERR_INFLUX_AUTH` on 401/403.
 */
export async function query<T extends Record<string, QueryValue> = Record<string, QueryValue>>(
  conn: InfluxConnection,
  q: string,
  options: QueryOptions = {},
): Promise<Array<QueryRow<T>>> {
  const { settings } = conn;
  const epoch = options.epoch ?? 'ns';
  const form = new URLSearchParams({ q });
  const db = options.database ?? settings.database;
  const rp = options.retentionPolicy ?? settings.retentionPolicy;
  if (db) form.set('db', db);
  if (rp) form.set('rp', rp);
  if (epoch === 'ms') form.set('epoch', 'ms');
  if (options.params) form.set('params', JSON.stringify(options.params));
  const method = options.method ?? 'POST';
  const path = method === 'GET' ? `/query?${form.toString()}` : '/query';
  const body = method === 'GET' ? '' : form.toString();
  const headers = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };

  let response: QueryResponse;
  try {
    response = ((await conn.transport.request(path, body, { method, headers })) ?? {}) as QueryResponse;
  } catch (e) {
    throw classifyInfluxError(e, 'HUB_ERR_INFLUX_QUERY', 'query');
  }
  // 1.x answers 200 even when a statement fails; the error is inside the result (API docs, /query).
  if (response.error) throw new HubError('HUB_ERR_INFLUX_QUERY', `query: ${response.error}`);
  const rows: Array<QueryRow<T>> = [];
  for (const [index, result] of (response.results ?? []).entries()) {
    if (result.error) throw new HubError('HUB_ERR_INFLUX_QUERY', `query: ${result.error}`);
    for (const series of result.series ?? []) {
      const tags = Object.freeze({ ...series.tags });
      for (const value of series.values ?? []) {
        const row: Record<string, QueryValue> = {};
        series.columns.forEach((column, i) => {
          const v = value[i] ?? null;
          row[column] = column === 'time' && epoch === 'ns' && typeof v === 'string' ? rfc3339ToNs(v) : v;
        });
        rows.push({ statement: result.statement_id ?? index, measurement: series.name ?? '', tags, values: row as T });
      }
    }
  }
  return rows;
}

/** Outcome of {@link ping}. */
export type PingResult = { ok: true; version: string | undefined } | { ok: false; error: HubError };

/**
 * Readiness: `GET /ping`, which 1.x, 2.x and 3.x answer with 204 and an `X-Influxdb-Version`
 * header without authentication. Never throws.
 */
export async function ping(conn: InfluxConnection): Promise<PingResult> {
  let version: string | undefined;
  try {
    await conn.transport.request('/ping', '', { method: 'GET' }, (headers) => {
      const v = headers['x-influxdb-version'];
      version = Array.isArray(v) ? v[0] : v;
    });
    return { ok: true, version };
  } catch (e) {
    return { ok: false, error: classifyInfluxError(e, 'HUB_ERR_INFLUX_UNREACHABLE', 'ping') };
  }
}
