/**
 * How the store reaches InfluxDB and how its writer batches and retries (docs/contract.md §4).
 * Defaults live in ONE frozen constant, as influxdb-client-js keeps `DEFAULT_WriteOptions`.
 */
import { HubError } from '../errors.ts';

/** Connection and writer settings for InfluxDB 1.x, 2.x or 3.x. */
export interface InfluxSettings {
  /** Base URL of the server, e.g. `http://127.0.0.1:8086` (no `/api/v2` suffix). */
  url: string;

  /**
   * 1.x: the database to write to and create (docs/contract.md §4: `community`).
   * 2.x/3.x: the `db` of InfluxQL queries (`/query`, mapped to a bucket by DBRP) and the
   * default bucket.
   */
  database: string;
  /** 1.x: the retention policy written to and created; absent: the database's default one. */
  retentionPolicy?: string | undefined;
  /**
   * 1.x: duration of the retention policy created with the database (InfluxQL duration
   * literal, e.g. `90d`, `12w`; `0s` or `INF` is infinite). Never applied to an existing one.
   */
  retention: string;
  /** 1.x: user name (HTTP Basic authentication); absent when auth is disabled. */
  username?: string | undefined;
  /** 1.x: password of `username`. */
  password?: string | undefined;

  /** 2.x/3.x: API token. Its presence selects the 2.x/3.x API (see {@link influxApiVersion}). */
  token?: string | undefined;
  /** 2.x: organization name or id (3.x ignores it). */
  org?: string | undefined;
  /** 2.x/3.x: bucket written to; absent: `database`. */
  bucket?: string | undefined;

  /** Most points in one HTTP write. */
  batchSize: number;
  /** Longest a point waits for its batch to fill before it is sent anyway (ms). */
  flushIntervalMs: number;
  /** Most write requests outstanding at once (the official client has no such bound). */
  maxBatchesInFlight: number;
  /** Most points waiting for a batch; beyond this `write` rejects at once (no unbounded memory). */
  maxQueuedPoints: number;
  /** Retries of a retryable failure before a batch is given up (0: try once). */
  maxRetries: number;
  /** First retry delay (ms); doubled after every failed attempt. */
  minRetryDelayMs: number;
  /** Largest retry delay (ms). */
  maxRetryDelayMs: number;
  /** Deadline of one HTTP request, connect to last byte (ms). */
  requestTimeoutMs: number;
}

/**
 * The defaults. A short flush interval because a write gates the PUBACK of the MQTT message it
 * came in (docs/contract.md §2); batches still fill up under load.
 */
export const DEFAULT_INFLUX_SETTINGS = Object.freeze({
  url: 'http://localhost:8086',
  database: 'community',
  retention: '0s',
  batchSize: 1000,
  flushIntervalMs: 100,
  maxBatchesInFlight: 4,
  maxQueuedPoints: 50_000,
  maxRetries: 5,
  minRetryDelayMs: 200,
  maxRetryDelayMs: 10_000,
  requestTimeoutMs: 10_000,
} as const satisfies Partial<InfluxSettings>);

/**
 * Which HTTP API the server speaks: a token means 2.x/3.x (token auth, `/api/v2/write`),
 * no token means 1.x (database + retention policy, user/password, `/write`), which also
 * covers 1.x servers older than 1.8 that lack `/api/v2/write` (docs/contract.md §4).
 */
export function influxApiVersion(settings: Pick<InfluxSettings, 'token'>): 1 | 2 {
  return settings.token ? 2 : 1;
}

// InfluxQL duration literal (InfluxQL spec, "Durations") or INF for an infinite policy.
const DURATION = /^(INF|(\d+(ns|u|µ|ms|s|m|h|d|w))+)$/;

/** Merges `overrides` over the defaults, checks the result and freezes it. */
export function resolveInfluxSettings(overrides: Partial<InfluxSettings> = {}): Readonly<InfluxSettings> {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const s: InfluxSettings = { ...DEFAULT_INFLUX_SETTINGS, ...defined };
  const bad = (what: string): never => {
    throw new HubError('HUB_ERR_CONFIG_INVALID', `InfluxDB settings: ${what}`);
  };
  let url: URL | undefined;
  try {
    url = new URL(s.url);
  } catch {
    bad(`url "${s.url}" is not a URL`);
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') bad(`url "${s.url}" is not http(s)`);
  if (!s.database) bad('database is empty');
  if (!DURATION.test(s.retention)) bad(`retention "${s.retention}" is not an InfluxQL duration such as 90d or 0s`);
  if (s.password !== undefined && s.username === undefined) bad('a password is set without a username');
  for (const key of [
    'batchSize',
    'maxBatchesInFlight',
    'maxQueuedPoints',
    'minRetryDelayMs',
    'requestTimeoutMs',
  ] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 1) bad(`${key} must be a positive integer, got ${s[key]}`);
  }
  for (const key of ['flushIntervalMs', 'maxRetries', 'maxRetryDelayMs'] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 0) bad(`${key} must be an integer >= 0, got ${s[key]}`);
  }
  if (s.maxRetryDelayMs < s.minRetryDelayMs) bad('maxRetryDelayMs is below minRetryDelayMs');
  return Object.freeze(s);
}
