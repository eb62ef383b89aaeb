/**
 * Turns what the client's transport throws into a HubError that says whether to retry
 * (architecture.md example 5: influxdb-client-js `HttpError.canRetry()`).
 */
import { HttpError } from '@influxdata/influxdb-client';
import { HubError, type ErrorCode } from '../errors.ts';

/**
 * InfluxDB's own words for a refused request: 1.x answers `{"error": "..."}` (also in the
 * `X-Influxdb-Error` header), 2.x/3.x `{"code", "message"}`.
 */
export function influxMessage(e: HttpError): string {
  const json: unknown = e.json ?? parseJson(e.body);
  if (json && typeof json === 'object') {
    const { error, message } = json as { error?: unknown; message?: unknown };
    if (typeof error === 'string' && error) return error;
    if (typeof message === 'string' && message) return message;
  }
  return e.body || e.message || `HTTP ${e.statusCode}`;
}

function parseJson(body: string | undefined): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * Maps a failed request to the catalogue.
 * - 401/403 → `HUB_ERR_INFLUX_AUTH`, not retried: new credentials are needed.
 * - 5xx, and what the client's `HttpError.canRetry()` accepts (404, 408, 425, 429, 5xx; 404 is
 *   1.x "database not found", which `ensureDatabase` cures) → `HUB_ERR_INFLUX_UNREACHABLE`, retried.
 * - other 4xx → `refused` (the points or the query themselves), not retried, with InfluxDB's message.
 * - no HTTP answer at all (refused, reset, timed out, aborted) → `HUB_ERR_INFLUX_UNREACHABLE`,
 *   retried: the server never judged the request.
 */
export function classifyInfluxError(e: unknown, refused: ErrorCode, what: string): HubError {
  if (e instanceof HubError) return e;
  if (e instanceof HttpError) {
    const text = influxMessage(e);
    if (e.statusCode === 401 || e.statusCode === 403) {
      return new HubError(
        'HUB_ERR_INFLUX_AUTH',
        `${what}: InfluxDB refused the credentials (${e.statusCode}): ${text}`,
        { cause: e },
      );
    }
    if (e.statusCode >= 500 || e.canRetry()) {
      return new HubError('HUB_ERR_INFLUX_UNREACHABLE', `${what}: InfluxDB answered ${e.statusCode}: ${text}`, {
        cause: e,
      });
    }
    return new HubError(refused, `${what}: InfluxDB refused it (${e.statusCode}): ${text}`, {
      cause: e,
      retryable: false,
    });
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const detail = typeof code === 'string' ? `${code} ${err.message}` : err.message || err.name;
  return new HubError('HUB_ERR_INFLUX_UNREACHABLE', `${what}: no answer from InfluxDB: ${detail}`, { cause: err });
}

/** Classifies a failed write: a refused write is `HUB_ERR_INFLUX_WRITE_REJECTED`. */
export function classifyWriteError(e: unknown): HubError {
  return classifyInfluxError(e, 'HUB_ERR_INFLUX_WRITE_REJECTED', 'write');
}
