/**
 * InfluxQL over `/query`, which 1.x answers natively and 2.x/3.x through their v1-compatible API
 * (docs/contract.md §4: "Reads use InfluxQL, which all of them answer").
 *
 * An answer is used whole or not at all. A 1.x server with `[http] max-row-limit` cuts a
 * non-chunked answer at that many rows: it marks the series or result it cut `partial: true`, but
 * drops the series and statements after the cut without a mark (and when the cut falls exactly on
 * a series' end it marks nothing). So every request ends with one more statement ({@link
 * END_STATEMENT}) whose result must come back: if it is missing, or anything says `partial`, the
 * query fails with the retryable `HUB_ERR_INFLUX_PARTIAL` instead of returning fewer rows, which a
 * count would read as a smaller number (src/kpi/README.md, "Partial answers").
 */
import { HubError, isHubError } from '../errors.ts';
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
  partial?: boolean;
}
interface QueryResponse {
  results?: Array<{ statement_id?: number; series?: Series[]; error?: string; partial?: boolean }>;
  error?: string;
}

/**
 * The statement appended to every request: cheap, valid without a database on 1.x, 2.x and 3.x,
 * and answered after all the others, so its result is there only if nothing before it was cut.
 */
export const END_STATEMENT = 'SHOW DATABASES';

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
 *
 * `statements` is one statement, or several (sent in one request; a row's `statement` is its
 * index). Several statements go in an array, never joined with `;` in one string: the count is
 * what tells a whole answer from a cut one.
 * @throws HubError `HUB_ERR_INFLUX_QUERY` with InfluxDB's error text when it refuses the query or a
 *   statement; `HUB_ERR_INFLUX_PARTIAL` (retryable) when the answer is not whole;
 *   `HUB_ERR_INFLUX_UNREACHABLE` when it does not answer; `HUB_ERR_INFLUX_AUTH` on 401/403.
 */
export async function query<T extends Record<string, QueryValue> = Record<string, QueryValue>>(
  conn: InfluxConnection,
  statements: string | readonly string[],
  options: QueryOptions = {},
): Promise<Array<QueryRow<T>>> {
  const list = (typeof statements === 'string' ? [statements] : statements).map((s) => s.trim().replace(/;+$/, ''));
  if (list.length === 0) return [];
  const epoch = options.epoch ?? 'ns';
  const response = await send(conn, [...list, END_STATEMENT], options);
  const rows: Array<QueryRow<T>> = [];
  const answered = new Set<number>();
  for (const [index, result] of (response.results ?? []).entries()) {
    const id = result.statement_id ?? index;
    // The end statement's result only has to be there (even refused, it was reached).
    if (id === list.length) {
      answered.add(id);
      continue;
    }
    if (id > list.length) {
      throw new HubError(
        'HUB_ERR_INFLUX_QUERY',
        `query: more results than the ${list.length} statement(s) given; pass several statements as an array`,
      );
    }
    if (result.error)
      throw new HubError('HUB_ERR_INFLUX_QUERY', `query: ${await errorOf(conn, list, id, result.error, options)}`);
    if (result.partial || result.series?.some((s) => s.partial)) throw partial(`statement ${id} is marked partial`);
    answered.add(id);
    for (const series of result.series ?? []) {
      const tags = Object.freeze({ ...series.tags });
      for (const value of series.values ?? []) {
        const row: Record<string, QueryValue> = {};
        series.columns.forEach((column, i) => {
          const v = value[i] ?? null;
          row[column] = column === 'time' && epoch === 'ns' && typeof v === 'string' ? rfc3339ToNs(v) : v;
        });
        rows.push({ statement: id, measurement: series.name ?? '', tags, values: row as T });
      }
    }
  }
  for (let id = 0; id <= list.length; id++) {
    if (!answered.has(id)) throw partial(`no result for statement ${id} of ${list.length + 1} (the answer was cut)`);
  }
  return rows;
}

/** One `/query` request; InfluxDB's refusal of the whole request is thrown. */
async function send(
  conn: InfluxConnection,
  statements: readonly string[],
  options: QueryOptions,
): Promise<QueryResponse> {
  const { settings } = conn;
  const form = new URLSearchParams({ q: statements.join(';\n') });
  const db = options.database ?? settings.database;
  const rp = options.retentionPolicy ?? settings.retentionPolicy;
  if (db) form.set('db', db);
  if (rp) form.set('rp', rp);
  if (options.epoch === 'ms') form.set('epoch', 'ms');
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
  return response;
}

/**
 * The error text of statement `id`. 1.x answers a request of several statements that fails before
 * running any (no such database, none given) with `not executed` on the first and loses the reason;
 * the first statement alone, which has not run, gives it back.
 */
async function errorOf(
  conn: InfluxConnection,
  list: readonly string[],
  id: number,
  error: string,
  options: QueryOptions,
): Promise<string> {
  if (id !== 0 || error !== 'not executed') return error;
  try {
    const again = await send(conn, [list[0]!], options);
    return again.results?.find((r) => r.error)?.error ?? error;
  } catch (e) {
    return isHubError(e) ? e.message.replace(/^query: /, '') : error;
  }
}

function partial(what: string): HubError {
  return new HubError(
    'HUB_ERR_INFLUX_PARTIAL',
    `query: InfluxDB answered in part only: ${what}; is its [http] max-row-limit too small? Nothing was read from it`,
  );
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
