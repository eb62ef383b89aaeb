/**
 * The store stage's InfluxDB as a component (docs/architecture.md, "Lifecycle"): the one place
 * the hub's connections to InfluxDB are made. Each purpose gets the options it needs from here
 * rather than from the wiring: the spool drainer's writer tries each request once and sends at
 * once (the drainer retries by itself, forever and stoppably, and hands over whole chunks), a
 * readiness probe answers quickly or not at all, everything else (KPIs, API queries) uses the
 * configured settings. `start()` ensures the database; InfluxDB down at start is no reason to
 * refuse data (the spool keeps it and the drainer ensures the database before its first write),
 * refused credentials are a configuration error.
 */
import { isHubError } from '../errors.ts';
import type { Component } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import { connectInflux, type InfluxConnection } from './connection.ts';
import { ensureDatabase } from './database.ts';
import { InfluxPointWriter } from './influx-writer.ts';
import { DEFAULT_INFLUX_SETTINGS, type InfluxSettings } from './settings.ts';

/** What a connection is for; each gets its own settings. */
export type InfluxPurpose = 'query' | 'drain' | 'probe';

/** The longest a readiness probe waits for InfluxDB (ms). */
const PROBE_TIMEOUT_MS = 2000;

export interface InfluxStoreOptions {
  /** The `influx` section of the config. */
  settings: Partial<InfluxSettings>;
  logger: Logger;
}

/** See the file comment. Constructing opens no socket. */
export class InfluxStore implements Component {
  readonly name = 'influxdb';
  readonly #options: InfluxStoreOptions;
  readonly #connections = new Map<InfluxPurpose, InfluxConnection>();

  constructor(options: InfluxStoreOptions) {
    this.#options = options;
  }

  /** The connection for `purpose` (one per purpose, made on first use; making one opens no socket). */
  connection(purpose: InfluxPurpose = 'query'): InfluxConnection {
    let conn = this.#connections.get(purpose);
    if (!conn) {
      conn = connectInflux({ ...this.#options.settings, ...purposeSettings(purpose, this.#options.settings) });
      this.#connections.set(purpose, conn);
    }
    return conn;
  }

  /** A new writer on the connection for `purpose`; whoever asks for it closes it. */
  writer(purpose: InfluxPurpose = 'query'): InfluxPointWriter {
    return new InfluxPointWriter(this.connection(purpose));
  }

  /** Create the database, or note that InfluxDB is away (the drainer ensures it later). */
  async start(): Promise<void> {
    const conn = this.connection();
    const { logger } = this.#options;
    try {
      const ensured = await ensureDatabase(conn);
      logger.info({ url: conn.settings.url, api: conn.version, ...ensured }, 'InfluxDB ready');
    } catch (e) {
      if (!isHubError(e) || !e.retryable) throw e;
      logger.warn({ url: conn.settings.url, err: e }, 'InfluxDB not reachable at start; spooling until it is');
    }
  }

  /** Nothing to undo: each writer is closed by whoever asked for it. */
  stop(): void {}
}

function purposeSettings(purpose: InfluxPurpose, s: Partial<InfluxSettings>): Partial<InfluxSettings> {
  if (purpose === 'drain') return { maxRetries: 0, flushIntervalMs: 0 };
  if (purpose === 'probe')
    return {
      requestTimeoutMs: Math.min(PROBE_TIMEOUT_MS, s.requestTimeoutMs ?? DEFAULT_INFLUX_SETTINGS.requestTimeoutMs),
    };
  return {};
}
