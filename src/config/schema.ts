/**
 * The hub's configuration (hub.yaml): one zod schema whose defaults are the only defaults
 * (architecture.md, "defaults in one constant"). Every leaf also has an environment variable,
 * derived from its path by env.ts: `mqtt.port` → `HUB_MQTT_PORT` (docs/contract.md §7).
 */
import { validate as isCronExpression } from 'node-cron';
import { z } from 'zod';
import { isHashedSecret } from '../secret.ts';
import { duration, port, size } from './units.ts';

const hashed = z
  .string()
  .refine(
    isHashedSecret,
    'must be a "scrypt$…" or "hmac-sha256$…" string from `community-hub secret hash`, never plaintext',
  );
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const mqtt = z.strictObject({
  host: z.string().default('0.0.0.0'),
  /** Default 1883 (docs/contract.md §7); 0 = any free port. */
  port: port.default(1883),
  /** Topic root (docs/contract.md §2). */
  rootTopic: z
    .string()
    .regex(/^[^#+]+[^/#+]$/, 'must be a topic prefix without wildcards or a trailing /')
    .default('community/v1'),
  /** Largest MQTT packet accepted; bigger ones become `oversized` dead letters or are refused. */
  maxPacketBytes: size.prefault('256KiB'),
  maxConnections: z.number().int().positive().default(10_000),
  /** A client asking for a longer keepalive (or 0 = none) is given this one. */
  maxKeepaliveSeconds: z.number().int().positive().default(300),
  connectTimeout: duration.prefault('30s'),
  /**
   * How long a gateway password that passed scrypt is remembered (as a keyed HMAC, in memory only)
   * so that its reconnects skip scrypt; 0 = off (src/broker/auth-cache.ts).
   */
  authCacheTtl: duration.prefault('1h'),
  tlsPort: port.optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  websocketPort: port.optional(),
  /** Read-only accounts that may subscribe to `{root}/#` (docs/contract.md §2). */
  observers: z
    .array(z.strictObject({ username: z.string().regex(/^[^+#/]+$/, 'must not contain +, # or /'), secret: hashed }))
    .default([]),
});

const http = z.strictObject({
  host: z.string().default('0.0.0.0'),
  /** Default 8080 (docs/contract.md §7); 0 = any free port. */
  port: port.default(8080),
  bodyLimit: size.prefault('1MiB'),
  /** Hashed operator (read) and admin (write) API keys (docs/contract.md §6). */
  operatorKeys: z.array(hashed).default([]),
  adminKeys: z.array(hashed).default([]),
  /** `GET /api/v1/sites/{site}/devices` calls a device online when heard within this window. */
  onlineWindow: duration.prefault('1h'),
  /** Failed API key attempts allowed per client address and minute before 429 (0 = no limit). */
  maxAuthFailures: z.number().int().nonnegative().default(10),
});

/**
 * InfluxDB connection and writer tuning. Unset tuning keys take the store's defaults
 * (`DEFAULT_INFLUX_SETTINGS` in src/store/settings.ts, the one place they live).
 */
const influx = z.strictObject({
  /** Unset: `scripts/influxdb.sh` starts a private server for the demo and the tests. */
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:8086' })
    .default('http://localhost:8086'),
  /** 1.x database (also the 2.x/3.x bucket when `bucket` is unset). */
  database: z.string().min(1).default('community'),
  retentionPolicy: z.string().min(1).optional(),
  /** Retention (InfluxQL duration: 90d, 52w, 0s = forever) given to a 1.x database the hub creates. */
  retention: z
    .string()
    .regex(/^(INF|(\d+(ns|u|ms|s|m|h|d|w))+)$/, 'must be an InfluxQL duration such as 90d, 52w or 0s (forever)')
    .optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** A token selects the 2.x/3.x API (org, bucket); without one the 1.x API is used. */
  token: z.string().optional(),
  org: z.string().optional(),
  bucket: z.string().optional(),
  batchSize: z.number().int().positive().optional(),
  flushIntervalMs: z.number().int().nonnegative().optional(),
  maxBatchesInFlight: z.number().int().positive().optional(),
  maxQueuedPoints: z.number().int().positive().optional(),
  maxRetries: z.number().int().nonnegative().optional(),
  minRetryDelayMs: z.number().int().positive().optional(),
  maxRetryDelayMs: z.number().int().nonnegative().optional(),
  requestTimeoutMs: z.number().int().positive().optional(),
});

const ingest = z.strictObject({
  /** docs/contract.md §3: more than this ahead of the hub's clock is `clock_skew`. */
  maxFutureSkew: duration.prefault('5m'),
  /** docs/contract.md §3: older than this is `too_old`. */
  maxAge: duration.prefault('30d'),
});

const deadLetters = z.strictObject({
  maxBytes: size.prefault('256MiB'),
  maxAge: duration.prefault('30d'),
});

/** The on-disk spool every accepted message goes through (src/store/spool/). */
const spool = z.strictObject({
  /** Bound of the spool's files on disk; when reached, acknowledgements wait for room. */
  maxBytes: size.prefault('1GiB'),
  /** fsync each group commit: a PUBACK then survives a power cut, not only a crash of the hub. */
  fsync: z.boolean().default(true),
  /** Bound of records held in memory, waiting for room or for their group commit. */
  maxBufferedBytes: size.prefault('64MiB'),
  /**
   * Longest a message waits for room in a full spool before it is refused (no PUBACK, connection
   * closed, the gateway resends). Keep it below the gateways' keepalive: a waiting client's
   * PINGREQ is not answered meanwhile.
   */
  backpressureTimeout: duration.prefault('30s'),
});

/**
 * The hub's own series in InfluxDB (`hub_stats`, `hub_rejects`: src/store/self-stats.ts), for the
 * hub-health dashboard: Grafana reads only InfluxDB, not `/metrics`.
 */
const selfStats = z.strictObject({
  enabled: z.boolean().default(true),
  /** Time between samples. */
  interval: duration.prefault('15s').refine((ms) => ms >= 100, 'must be at least 100ms'),
  /** Tag `instance` of the points; unset: the host name. */
  instance: z.string().min(1).optional(),
});

/** Period kinds of the KPIs (docs/contract.md §5): a day, a week starting Monday, a month, in the site's timezone. */
export const KPI_PERIODS = ['day', 'week', 'month'] as const;
const ratioTarget = z.number().min(0).max(1);
const countTarget = z.number().int().nonnegative();

/**
 * KPIs (docs/contract.md §5): targets, periods and the schedule. The formulas live in src/kpi/definitions/.
 * Ratio targets are met when value ≥ target; `bin_overflow_alarms` when the count ≤ its target for the period kind.
 */
const kpi = z
  .strictObject({
    /** Run the KPI scheduler in `community-hub start`. */
    enabled: z.boolean().default(true),
    /** node-cron expression of a refresh: recompute the current period of each kind, close the ones just ended. */
    schedule: z
      .string()
      .refine((s) => isCronExpression(s), 'must be a cron expression such as "*/5 * * * *"')
      .default('*/5 * * * *'),
    /** Period kinds the scheduler computes. */
    periods: z.array(z.enum(KPI_PERIODS)).min(1).default(['day', 'week', 'month']),
    /**
     * A period is closed (computed a last time) at the first refresh this long after its end: late data lands first.
     */
    closeDelay: duration.prefault('10m'),
    /**
     * The period kind whose current values are published, retained, on `{root}/{site}/kpi/{kpi}`
     * (docs/contract.md §2).
     */
    publishPeriod: z.enum(KPI_PERIODS).default('day'),
    targets: z
      .strictObject({
        sorting_coverage: ratioTarget.default(0.95),
        participation_rate: ratioTarget.default(0.9),
        sorting_accuracy: ratioTarget.default(0.9),
        device_availability: ratioTarget.default(0.98),
        /** Most `overflow` alarms a site may raise in a period of each kind. */
        bin_overflow_alarms: z
          .strictObject({ day: countTarget.default(3), week: countTarget.default(20), month: countTarget.default(80) })
          .prefault({}),
      })
      .prefault({}),
  })
  .refine((k) => k.periods.includes(k.publishPeriod), {
    path: ['publishPeriod'],
    message: 'must be one of kpi.periods',
  });

/**
 * How the programme is evaluated beyond the KPIs (docs/contract.md §5, "Resident satisfaction
 * surveys"): the targets of the evaluation figures. A site's baseline wave is in the inventory.
 */
const evaluation = z.strictObject({
  targets: z
    .strictObject({
      /** Satisfaction rate over the baseline wave's − 1 a wave must reach ("satisfaction up 30%"). */
      satisfactionGain: z.number().min(0).default(0.3),
    })
    .prefault({}),
});

/** zod schema of hub.yaml. */
export const configSchema = z.strictObject({
  /** Inventory file; relative paths resolve against the config file's folder. */
  inventory: z.string().default('inventory.yaml'),
  /** Spool, dead letters and reports (docs/contract.md §7). */
  dataDir: z.string().default('data'),
  /** Key of the HMAC that pseudonymises household and credential ids (docs/contract.md §3). */
  pseudonymKey: z.string().min(16, 'must be at least 16 characters; generate one with `openssl rand -hex 32`'),
  /** One extra API key of each role in plain, for deployments and tests (docs/contract.md §7). */
  adminKey: z.string().min(16).optional(),
  operatorKey: z.string().min(16).optional(),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
  mqtt: mqtt.prefault({}),
  http: http.prefault({}),
  influx: influx.prefault({}),
  ingest: ingest.prefault({}),
  deadLetters: deadLetters.prefault({}),
  spool: spool.prefault({}),
  shutdown: z.strictObject({ timeout: duration.prefault('10s') }).prefault({}),
  kpi: kpi.prefault({}),
  evaluation: evaluation.prefault({}),
  selfStats: selfStats.prefault({}),
});

/** The validated, frozen configuration. */
export type HubConfig = Readonly<z.output<typeof configSchema>>;
