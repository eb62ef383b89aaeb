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
  /**
   * `embedded`: the hub runs its own broker (aedes). `external`: it runs none and takes the
   * gateways' messages from the operator's broker through a shared subscription
   * (docs/operations.md, "Behind an external broker").
   */
  mode: z.enum(['embedded', 'external']).default('embedded'),
  /** External mode: the broker, e.g. `mqtt://broker:1883` or `mqtts://…`. */
  brokerUrl: z.string().url().optional(),
  brokerUsername: z.string().optional(),
  /** External mode: the hub's own password at the broker (plain: the broker checks it). */
  brokerPassword: z.string().optional(),
  /** External mode: PEM CA file the broker's certificate must verify against (`mqtts://`). */
  brokerCaFile: z.string().optional(),
  /** External mode: the shared-subscription group the hubs split the stream in. */
  shareGroup: z
    .string()
    .regex(/^[^/#+]+$/, 'must not contain /, + or #')
    .default('community-hub'),
  /**
   * External mode: the base of the hub's client ids (`{clientId}-{n}`); stable across restarts,
   * so the broker keeps each persistent session and redelivers what was not acknowledged.
   * Default `community-hub-{host name}`.
   */
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,48}$/, 'must be 1–48 letters, digits, _ . or -')
    .optional(),
  /**
   * External mode: connections in the share group. mqtt.js hands a client's messages over one at a
   * time and the hub acknowledges each only once durable, so each connection has one message in
   * hand; several connections let the spool commit theirs together.
   */
  brokerConnections: z.number().int().min(1).max(64).default(32),
  /**
   * External mode: how long the broker keeps a hub's session (its subscription and the messages
   * queued for it) while the hub is away (MQTT 5 session expiry). Past it, what was queued for that
   * hub is gone: keep it longer than any outage you plan for.
   */
  brokerSessionExpiry: duration.prefault('7d'),
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
  /**
   * Queue of connections the kernel has accepted and the hub not yet taken, per listener. Node's
   * default (511) overflows in a restart storm of thousands of gateways (resets, docs/benchmarks.md);
   * Linux caps it at net.core.somaxconn (4096 by default since kernel 5.4).
   */
  listenBacklog: z.number().int().positive().max(65_535).default(4096),
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
  /** PEM CA certificate(s) that gateway client certificates must verify against (mutual TLS). */
  tlsCaFile: z.string().optional(),
  /**
   * Client certificates on the TLS listener (docs/contract.md §2): `off` (passwords only),
   * `optional` (a certificate or a password), `required` (a certificate).
   */
  tlsClientCerts: z.enum(['off', 'optional', 'required']).default('off'),
  websocketPort: port.optional(),
  /** Read-only accounts that may subscribe to `{root}/#` (docs/contract.md §2). */
  observers: z
    .array(z.strictObject({ username: z.string().regex(/^[^+#/]+$/, 'must not contain +, # or /'), secret: hashed }))
    .default([]),
});

/**
 * Mutual TLS needs a TLS listener and a CA to verify against; checked here so a start fails with
 * the setting's name rather than at the first gateway (docs/operations.md, "Mutual TLS for gateways").
 */
const mqttChecked = mqtt
  .refine((m) => m.mode === 'embedded' || m.brokerUrl !== undefined, {
    path: ['brokerUrl'],
    message: 'is needed when mqtt.mode is external (the broker the hub subscribes to)',
  })
  .refine((m) => m.tlsClientCerts === 'off' || m.tlsCaFile !== undefined, {
    path: ['tlsCaFile'],
    message: 'is needed when mqtt.tlsClientCerts is optional or required (the CA that signs the gateway certificates)',
  })
  .refine((m) => m.tlsClientCerts === 'off' || m.tlsPort !== undefined, {
    path: ['tlsClientCerts'],
    message: 'client certificates need the TLS listener: set mqtt.tlsPort, mqtt.tlsCertFile and mqtt.tlsKeyFile',
  });

const http = z.strictObject({
  host: z.string().default('0.0.0.0'),
  /** Default 8080 (docs/contract.md §7); 0 = any free port. */
  port: port.default(8080),
  bodyLimit: size.prefault('1MiB'),
  /** Hashed operator (read) and admin (write) API keys (docs/contract.md §6). */
  operatorKeys: z.array(hashed).default([]),
  adminKeys: z.array(hashed).default([]),
  /**
   * Hashed keys of an external broker calling the EMQX authentication and authorisation endpoints
   * (docs/contract.md §6); they open no other route.
   */
  brokerKeys: z.array(hashed).default([]),
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

/**
 * Period kinds of the KPIs (docs/contract.md §5): a day, a week starting Monday, a month, a quarter
 * (from 1 January, April, July, October) and a year, in the site's timezone. `quarter` and `year`
 * are opt-in (not in the default `kpi.periods`).
 */
export const KPI_PERIODS = ['day', 'week', 'month', 'quarter', 'year'] as const;
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
          .strictObject({
            day: countTarget.default(3),
            week: countTarget.default(20),
            month: countTarget.default(80),
            quarter: countTarget.default(240),
            year: countTarget.default(960),
          })
          .prefault({}),
        /**
         * Share of deposited weight diverted from residual waste (docs/contract.md §5): about 35 %,
         * the national goal for urban household-waste recycling by 2025.
         */
        diversion_rate: ratioTarget.default(0.35),
      })
      .prefault({}),
  })
  .refine((k) => k.periods.includes(k.publishPeriod), {
    path: ['publishPeriod'],
    message: 'must be one of kpi.periods',
  });

/** Waste categories of docs/contract.md §3 (GB/T 19095-2019), in the order the CO₂e sum takes them. */
export const WASTE_CATEGORIES = ['recyclable', 'kitchen', 'hazardous', 'residual'] as const;
/** A waste category of docs/contract.md §3. */
export type WasteCategory = (typeof WASTE_CATEGORIES)[number];
const co2eFactor = z.number().min(0).max(100);
/** A recycling price, yuan per kg. */
export const pricePerKg = z.number().min(0).max(1000);

/**
 * Evaluation of the programme beyond the sorting KPIs (docs/contract.md §5). CO₂e factors, for
 * `co2e_avoided_kg`: none, and that KPI is null with reason `not_configured`. Prices, for the
 * payback picture ("Funding and payback"): none, and payback is `not_configured` unless a site gives
 * its own for every category. Given, every category needs its factor or price (a missing one would
 * silently count as 0). The target of the resident satisfaction surveys ("Resident satisfaction
 * surveys"; a site's baseline wave is in the inventory).
 */
const evaluation = z.strictObject({
  /** kg CO₂e avoided per kg deposited (not sorted `incorrect`), per waste category. */
  co2eFactors: z
    .strictObject(
      Object.fromEntries(WASTE_CATEGORIES.map((c) => [c, co2eFactor])) as Record<WasteCategory, typeof co2eFactor>,
    )
    .optional(),
  /** Yuan paid per kg of deposits not sorted `incorrect`, per waste category. */
  prices: z
    .strictObject(
      Object.fromEntries(WASTE_CATEGORIES.map((c) => [c, pricePerKg])) as Record<WasteCategory, typeof pricePerKg>,
    )
    .optional(),
  targets: z
    .strictObject({
      /** Satisfaction rate over the baseline wave's − 1 a wave must reach ("satisfaction up 30%"). */
      satisfactionGain: z.number().min(0).default(0.3),
    })
    .prefault({}),
});

/** Languages a monitoring report is rendered in (docs/contract.md §5). */
export const REPORT_LANGUAGES = ['zh-CN', 'en'] as const;
/** One of {@link REPORT_LANGUAGES}. */
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];
/**
 * The language of a report when nobody asks for one: Chinese, since its readers (community staff,
 * property management, the street office) read Chinese first (docs/configuration.md, "Reports").
 */
export const DEFAULT_REPORT_LANGUAGE: ReportLanguage = 'zh-CN';
const trendLength = z.number().int().min(2).max(120);

/**
 * Monitoring reports (docs/contract.md §5): language, trend lengths, the silence threshold, and the
 * reports the hub builds itself when a period closes or is recomputed.
 */
const report = z.strictObject({
  /** Language of the Markdown and HTML (the JSON is language-neutral). */
  language: z.enum(REPORT_LANGUAGES).default(DEFAULT_REPORT_LANGUAGE),
  /** How many periods of the report's kind its trend shows, the report's own included. */
  trendPeriods: z
    .strictObject({
      day: trendLength.default(14),
      week: trendLength.default(12),
      month: trendLength.default(12),
      quarter: trendLength.default(8),
      year: trendLength.default(5),
    })
    .prefault({}),
  /** A device is listed as silent once its last heartbeat is at least this old. */
  silentAfter: duration.prefault('2h'),
  /** Build reports automatically (needs `kpi.enabled`: the KPI scheduler says when). */
  auto: z.boolean().default(true),
  /** Period kinds reported automatically (those of `kpi.periods` only). */
  periods: z.array(z.enum(KPI_PERIODS)).min(1).default(['day', 'week', 'month']),
  /** Reports kept per site and period kind; the oldest periods go first. */
  keep: z.number().int().min(1).default(60),
  /** Also print each automatic report to PDF with headless Chromium. */
  pdf: z.boolean().default(true),
  /** The Chromium (or Chrome) binary that prints the PDF. */
  chromium: z.string().min(1).default('/usr/bin/chromium'),
  /** Longest one PDF may take before Chromium is killed. */
  pdfTimeout: duration.prefault('60s'),
});

/**
 * Several hubs side by side. With `redisUrl` set, hubs embedding their broker share it through that
 * Redis (docs/operations.md, "Several hubs sharing Redis (embedded cluster)", src/broker/cluster.ts),
 * and only the hub holding a Redis lease runs the KPI scheduler (docs/operations.md, "Several hubs:
 * one KPI scheduler", src/kpi/lease.ts).
 */
const cluster = z.strictObject({
  /** The Redis the hubs share: `redis://[user:password@]host:port[/db]` or `rediss://…`; unset: one hub. */
  redisUrl: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  /**
   * How long the KPI lease lasts without a renewal; renewed every third of it. A holder that dies
   * is replaced within this plus a third.
   */
  leaseTtl: duration.prefault('30s').refine((ms) => ms >= 1000, 'must be at least 1s'),
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
  mqtt: mqttChecked.prefault({}),
  http: http.prefault({}),
  influx: influx.prefault({}),
  ingest: ingest.prefault({}),
  deadLetters: deadLetters.prefault({}),
  spool: spool.prefault({}),
  shutdown: z.strictObject({ timeout: duration.prefault('10s') }).prefault({}),
  kpi: kpi.prefault({}),
  evaluation: evaluation.prefault({}),
  report: report.prefault({}),
  selfStats: selfStats.prefault({}),
  cluster: cluster.prefault({}),
});

/** The validated, frozen configuration. */
export type HubConfig = Readonly<z.output<typeof configSchema>>;
