/**
 * The catalogue of stable error codes (`HUB_ERR_*`). Every code is documented in
 * docs/errors.md, and test/errors.test.ts checks that the two agree — as fastify's
 * `lib/errors.js` is checked by `test/internals/errors.test.js`.
 *
 * Each entry says whether the failure is worth retrying (after the InfluxDB client's
 * `HttpError.canRetry()`) and which HTTP status the API answers with.
 */
export const ERROR_CATALOGUE = {
  HUB_ERR_CONFIG_NOT_FOUND: { status: 500, retryable: false, summary: 'the config or inventory file cannot be read' },
  HUB_ERR_CONFIG_INVALID: {
    status: 500,
    retryable: false,
    summary: 'the config file (or an environment variable) is not valid',
  },
  HUB_ERR_INVENTORY_INVALID: { status: 422, retryable: false, summary: 'the inventory file is not valid' },
  HUB_ERR_TLS_INVALID: {
    status: 422,
    retryable: false,
    summary: "the MQTT TLS listener's certificate, key or CA file cannot be read or used",
  },
  HUB_ERR_SECRET_FORMAT: {
    status: 500,
    retryable: false,
    summary: 'a stored secret is neither a `scrypt$…` nor an `hmac-sha256$…` string',
  },
  HUB_ERR_USAGE: { status: 400, retryable: false, summary: 'a command was called with unknown or missing arguments' },
  HUB_ERR_INFLUX_UNREACHABLE: {
    status: 503,
    retryable: true,
    summary: 'InfluxDB did not answer (connection refused, timeout, 5xx, 429)',
  },
  HUB_ERR_INFLUX_AUTH: { status: 503, retryable: false, summary: 'InfluxDB refused the credentials (401/403)' },
  HUB_ERR_INFLUX_WRITE_REJECTED: {
    status: 500,
    retryable: false,
    summary: 'InfluxDB refused the points themselves (400, e.g. a field type conflict); its message is kept',
  },
  HUB_ERR_INFLUX_QUERY: {
    status: 500,
    retryable: false,
    summary: 'InfluxDB refused an InfluxQL query; its message is kept',
  },
  HUB_ERR_INFLUX_PARTIAL: {
    status: 503,
    retryable: true,
    summary:
      'InfluxDB answered a query only in part (`partial: true`, or results missing: e.g. its `[http] max-row-limit`); nothing is computed from it',
  },
  HUB_ERR_WRITER_CLOSED: {
    status: 503,
    retryable: true,
    summary: 'a write was offered to a writer that is shutting down',
  },
  HUB_ERR_WRITER_QUEUE_FULL: {
    status: 503,
    retryable: true,
    summary: 'the InfluxDB writer already holds as many points as it may queue; try again later',
  },
  HUB_ERR_SPOOL_FULL: {
    status: 503,
    retryable: true,
    summary:
      'the on-disk spool is full (spool.maxBytes) and no room came within spool.backpressureTimeout, or spool.maxBufferedBytes already wait in memory; the message is not acknowledged, send it again later',
  },
  HUB_ERR_SPOOL_IO: {
    status: 503,
    retryable: true,
    summary:
      'the spool could not write or sync its log file (disk full, permissions, I/O error); the message is not acknowledged',
  },
  HUB_ERR_SPOOL_RECORD_TOO_LARGE: {
    status: 413,
    retryable: false,
    summary:
      "a message's points and payload make a spool record larger than a spool frame may be (64 MiB of body); the message is kept as an `oversized` dead letter instead",
  },
  HUB_ERR_DEAD_LETTER_IO: {
    status: 503,
    retryable: true,
    summary:
      'the dead-letter store could not write or sync its file (disk full, permissions, I/O error); what was written is cut back off, the message is not acknowledged',
  },
  HUB_ERR_DEAD_LETTER_BACKLOG: {
    status: 503,
    retryable: true,
    summary:
      "dead letters already waiting for the disk fill the store's memory bound (deadLetters.maxBytes / 8, at most 16 MiB); the message is not acknowledged, send it again later",
  },
  HUB_ERR_UNKNOWN_MODEL: {
    status: 500,
    retryable: false,
    summary: 'the inventory names a device model that no folder under devices/ provides',
  },
  HUB_ERR_MODEL_INVALID: {
    status: 500,
    retryable: false,
    summary:
      'a folder under devices/ does not hold a valid device model (missing index.ts, bad export, or type/model not equal to its folder)',
  },
  HUB_ERR_LISTEN: {
    status: 500,
    retryable: false,
    summary:
      'a listener (MQTT TCP, TLS or WebSocket, or the HTTP API) could not bind its host and port, e.g. the port is in use',
  },
  HUB_ERR_BROKER_UNREACHABLE: {
    status: 503,
    retryable: true,
    summary:
      'external broker mode: the hub could not connect to `mqtt.brokerUrl` within `mqtt.connectTimeout` at start (down, refused, or bad credentials)',
  },
  HUB_ERR_DATA_DIR_LOCKED: {
    status: 500,
    retryable: false,
    summary:
      'another hub holds the data directory (`<dataDir>/hub.lock`), or its lock file cannot be read; the message names the other pid and host and what to do',
  },
  HUB_ERR_UNKNOWN_SITE: { status: 404, retryable: false, summary: 'no site of the inventory has this id' },
  HUB_ERR_KPI_PERIOD: {
    status: 400,
    retryable: false,
    summary:
      'a KPI period that cannot be computed: not a calendar date, an unknown time zone, or a period that has not started yet',
  },
  HUB_ERR_VALIDATION: {
    status: 400,
    retryable: false,
    summary: 'an HTTP request whose parameters, query or body are not valid; the message names the field',
  },
  HUB_ERR_UNAUTHORIZED: {
    status: 401,
    retryable: false,
    summary:
      'an HTTP request without an API key (`Authorization: Bearer <key>`) or with one the hub does not know; for HTTP ingest, without the HTTP Basic credentials of a gateway of that site and path',
  },
  HUB_ERR_FORBIDDEN: {
    status: 403,
    retryable: false,
    summary: 'an operator (read) API key was sent to a route that needs an admin key',
  },
  HUB_ERR_NOT_FOUND: { status: 404, retryable: false, summary: 'no HTTP route, or no such report, at this path' },
  HUB_ERR_PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    summary: 'an HTTP request body larger than http.bodyLimit',
  },
  HUB_ERR_RATE_LIMITED: {
    status: 429,
    retryable: true,
    summary: 'too many failed API keys or gateway secrets (HTTP ingest) from this address; wait and try again',
  },
  HUB_ERR_INTERNAL: { status: 500, retryable: false, summary: 'a bug: an unexpected exception' },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

/** A code from the catalogue. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a stable code; `retryable` tells callers whether trying again may succeed. */
export class HubError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    const entry = ERROR_CATALOGUE[code];
    this.retryable = options?.retryable ?? entry.retryable;
    this.status = entry.status;
  }

  /** Same question as the InfluxDB client's `HttpError.canRetry()`. */
  canRetry(): boolean {
    return this.retryable;
  }
}

/** True when `e` is a HubError, optionally with the given code. */
export function isHubError(e: unknown, code?: ErrorCode): e is HubError {
  return e instanceof HubError && (code === undefined || e.code === code);
}
