/**
 * `buildHub(loaded)` → {@link Hub}: wiring only (docs/architecture.md). The stages never know each
 * other; this file builds each stage's component and connects them: broker → ingest (normalise,
 * dead letters, spool), the spool's drainer → InfluxDB, KPIs, the HTTP API. Building does no work
 * and binds nothing. `start()` starts the components in the order of {@link Components}, which
 * refuses to run half-configured: the data directory locked (one hub per dataDir), models and
 * inventory checked, InfluxDB database ensured (or, if InfluxDB is down, left to the drainer: the
 * spool takes messages meanwhile), dead-letter store and spool opened (the spool replays what an
 * earlier run left), and only then the broker listens, then the HTTP API. `stop()` stops, in one
 * loop and in reverse, every component whose start began: the API first, the lock last.
 */
import { join } from 'node:path';
import { ApiServer } from './api/component.ts';
import { AuthCache, createBroker, createExternalBroker, type HubBroker, type PublishContext } from './broker/index.ts';
import { LiveInventory, summarise, type ReloadResult } from './config/live-inventory.ts';
import { loadInventory, type Loaded } from './config/load.ts';
import { DataDirLocker } from './data-dir-lock.ts';
import { DeadLetterStore } from './deadletters/store.ts';
import { HubError, isHubError } from './errors.ts';
import type { Hub, HubDeps } from './hub-types.ts';
import { redisKpiLease, type KpiLease } from './kpi/lease.ts';
import { KpiStage } from './kpi/stage.ts';
import type { Component } from './lifecycle.ts';
import { DeviceModels } from './normalise/index.ts';
import { ReportStage } from './report/stage.ts';
import { InfluxStore, ping } from './store/index.ts';
import { IngestStage } from './store/ingest-stage.ts';
import { SelfStats } from './store/self-stats.ts';
import type { SpoolPosition } from './store/spool/index.ts';
import { SpoolStage } from './store/spool/stage.ts';

export type { Hub, HubDeps, HubPorts, HubSpoolStats, HubStats, Readiness } from './hub-types.ts';

/** Build a hub from a loaded config; nothing runs until `start()`. */
export function buildHub(loaded: Loaded, deps: HubDeps): Hub {
  const { config } = loaded;
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  // Every stage reads the inventory through this view; a reload swaps what is behind it.
  const live = new LiveInventory(loaded.inventory);
  const inventory = live.view;
  // The loader the start used, so a reload loads (and validates) exactly what a start would.
  const loadAgain =
    loaded.reloadInventory ?? (() => loadInventory(config.inventory, undefined, { pseudonymKey: config.pseudonymKey }));
  const reloads = { ok: 0, invalid: 0 };

  const lock = new DataDirLocker(config.dataDir, (fields, msg) => logger.warn(fields, msg));
  const models = new DeviceModels({ inventory, ...(deps.models ? { wrap: deps.models } : {}) });
  const influx = new InfluxStore({ settings: config.influx, logger });
  const probe = influx.connection('probe');
  const deadLetters = new DeadLetterStore({
    dir: join(config.dataDir, 'dead-letters'),
    maxBytes: config.deadLetters.maxBytes,
    maxAgeMs: config.deadLetters.maxAge,
    now,
    logger: logger.child({ component: 'dead-letters' }),
  });
  const spool = new SpoolStage({
    dir: join(config.dataDir, 'spool'),
    quarantineDir: join(config.dataDir, 'quarantine'),
    maxBytes: config.spool.maxBytes,
    fsync: config.spool.fsync,
    maxBufferedBytes: config.spool.maxBufferedBytes,
    backpressureTimeoutMs: config.spool.backpressureTimeout,
    influx,
    deadLetters,
    logger,
    now,
  });
  const ingest = new IngestStage({
    inventory,
    models: () => models.lookup(),
    spool,
    deadLetters,
    logger,
    pseudonymKey: config.pseudonymKey,
    maxPayloadBytes: config.mqtt.maxPacketBytes,
    maxFutureSkewMs: config.ingest.maxFutureSkew,
    maxAgeMs: config.ingest.maxAge,
    now,
    // Late data reaches the stored KPIs (src/kpi/README.md, "Late data and backfill").
    onAccepted: (site, times) => kpi?.accepted(site, times),
  });
  // One verified-credential cache for every login the hub checks: the broker's CONNECTs and the
  // EMQX authentication endpoint's (docs/operations.md, "Behind an external broker").
  const authCache = new AuthCache({ ttlMs: config.mqtt.authCacheTtl });
  // Each context is built for its one message by the broker: it becomes the ingest message as it is,
  // with its arrival time, rather than copied (a copy per message showed in the hot-path profile).
  const onPublish = (ctx: PublishContext): Promise<unknown> => ingest.handle(Object.assign(ctx, { receivedAt: now() }));
  // External mode: no broker of its own, a shared subscription at the operator's (src/broker/external.ts).
  const broker: HubBroker =
    config.mqtt.mode === 'external'
      ? createExternalBroker({ config: config.mqtt, inventory, logger, authCache, onPublish })
      : createBroker({
          config: config.mqtt,
          inventory,
          logger,
          authCache,
          onPublish,
          redisUrl: config.cluster.redisUrl,
          onGatewayStatus: (site, gateway, online, cause) => {
            // Status messages and Wills are recorded by onPublish; only a connection lost without a
            // Will needs its own offline point.
            if (cause === 'disconnect' && !online) {
              ingest
                .gatewayOffline(site, gateway, now())
                .catch((err: unknown) => logger.error({ err, site, gateway }, 'could not record gateway offline'));
            }
          },
        });
  // Several hubs: only the holder of the Redis lease runs the KPI scheduler (src/kpi/lease.ts).
  const lease: KpiLease | undefined = redisKpiLease({ config, logger, onAcquired: () => kpi?.leaseTaken() });
  // Reports build themselves when the scheduler closes or recomputes a period (docs/contract.md §5).
  const reports =
    config.kpi.enabled && config.report.auto
      ? new ReportStage({
          dataDir: config.dataDir,
          conn: influx.connection('query'),
          inventory,
          kpi: config.kpi,
          deadLetters,
          settings: config.report,
          evaluation: config.evaluation,
          logger: logger.child({ component: 'report' }),
          now,
        })
      : undefined;
  const kpi = config.kpi.enabled
    ? new KpiStage({
        influx,
        inventory,
        config,
        logger,
        now,
        publish: (topic, payload, options) => broker.publish(topic, payload, options),
        // A period closes, and a late mark is served, once the drainer has written past the data
        // concerned (a spool position), not once it is idle: under steady load it never is.
        progress: { position: () => spool.position(), written: (p) => spool.written(p as SpoolPosition | null) },
        marksFile: join(config.dataDir, 'kpi', 'late-marks.json'),
        ...(reports ? { onPeriodComputed: (e) => reports.periodComputed(e) } : {}),
        ...(lease ? { active: () => lease.held(), handOff: lease } : {}),
        ...(deps.kpiTimers ? { timers: deps.kpiTimers } : {}),
      })
    : undefined;
  // Through the spool, like the data: see src/store/self-stats.ts.
  const selfStats = config.selfStats.enabled
    ? new SelfStats({
        intervalMs: config.selfStats.interval,
        instance: config.selfStats.instance,
        stats: () => hub.stats(),
        spool,
        full: () => spool.full(),
        logger: logger.child({ component: 'self-stats' }),
        now,
      })
    : undefined;
  const api = new ApiServer({
    config,
    inventory,
    influx,
    logger,
    now,
    authCache,
    hub: { ...hubView(), reload: () => reload() },
  });

  /** Start order; stopped in reverse. Add a component where what it needs has started before it. */
  const components: Component[] = [
    lock, // first: a second hub on this dataDir would drain the same spool (src/data-dir-lock.ts)
    models,
    influx,
    deadLetters,
    spool,
    ingest,
    broker,
    // Before the KPI stage: a period the scheduler closes at its first tick finds the builder
    // started, and the stop waits for the KPI run before the builder stops.
    ...(reports ? [reports] : []),
    ...(kpi ? [kpi] : []),
    ...(lease ? [lease] : []), // after the scheduler it starts; stopped (released) before it
    ...(selfStats ? [selfStats] : []),
    api, // last: it answers /ready, so it listens once there is something to be ready
  ];
  const begun: Component[] = [];
  /** Components whose start began, ever (their stats stay readable after the stop). */
  const reached = new Set<Component>();
  let stopping: Promise<void> | undefined;

  async function reload(): Promise<ReloadResult> {
    if (!broker.ports() || stopping)
      throw new HubError('HUB_ERR_WRITER_CLOSED', 'the hub is not running (not started, or stopping)');
    // The TLS files first (read and checked, not yet used): a reload puts both in force or neither.
    let applyTls: (() => void) | undefined;
    try {
      applyTls = await broker.prepareTlsReload();
    } catch (e) {
      reloads.invalid++;
      logger.error({ err: e }, 'TLS reload refused; the running certificates and inventory stay in force');
      throw e;
    }
    // The hub may have begun stopping while the files were read.
    if (stopping) throw new HubError('HUB_ERR_WRITER_CLOSED', 'the hub is stopping');
    // Synchronous from loading to swapping: no message is handled, no CONNECT checked, in between.
    let next;
    try {
      next = loadAgain();
      models.check(next);
    } catch (e) {
      reloads.invalid++;
      const message = `${isHubError(e) ? `${e.code}: ` : ''}${(e as Error).message}`;
      logger.error({ err: e }, 'inventory reload refused; the running inventory stays in force');
      throw new HubError('HUB_ERR_INVENTORY_INVALID', message, { cause: e });
    }
    live.replace(next);
    applyTls?.();
    const disconnected = broker.disconnectGone(next);
    reloads.ok++;
    const summary = summarise(next);
    logger.info({ inventory: summary, disconnected, tls: applyTls ? 'reloaded' : 'none' }, 'inventory reloaded');
    return { reloaded: true, inventory: summary, disconnected };
  }

  /** What the API and the self-stats sampler see of the hub (besides `reload`). */
  function hubView(): Omit<Hub, 'start' | 'stop' | 'reload'> {
    return {
      stats: () => ({
        broker: reached.has(broker) ? broker.stats() : undefined,
        ingest: ingest.stats(),
        writer: spool.writerStats(),
        spool: spool.stats(),
        kpi: kpi?.stats(),
        report: reports?.stats(),
        kpiLease: lease?.stats(),
        deadLetters: deadLetters.countsByReason(),
        deadLetterStore: deadLetters.stats(),
        selfStats: selfStats?.counts(),
        inventoryReloads: { ...reloads },
      }),
      drained: () => spool.drained(),
      ingest: (msg) => ingest.handle(msg),
      deadLetters: (filter) => deadLetters.list(filter),
      replay: (selection) => ingest.replay(selection),
      async ready() {
        const listening = broker.stats().listening;
        const pinged = await ping(probe);
        const reasons = [...(listening ? [] : ['the MQTT broker is not listening']), ...spool.unready()];
        const influxState = pinged.ok
          ? { reachable: true, ...(pinged.version ? { version: pinged.version } : {}) }
          : { reachable: false, error: pinged.error.message };
        return {
          ready: reasons.length === 0,
          reasons,
          broker: { listening },
          influx: influxState,
          spool: spool.stats(),
          ...(lease ? { kpiLease: lease.stats() } : {}),
        };
      },
    };
  }

  const hub: Hub = {
    ...hubView(),
    reload,
    async start() {
      for (const c of components) {
        begun.push(c);
        reached.add(c);
        await c.start();
      }
      const mqtt = broker.ports()!;
      const http = api.port()!;
      logger.info(
        // With several hubs, whether this one runs the KPI scheduler (absent: no lease, it does).
        {
          mqtt,
          http,
          sites: inventory.sites.length,
          models: models.count(),
          kpi: config.kpi.enabled,
          kpiLease: lease?.held(),
        },
        'hub started: listening',
      );
      return { ...mqtt, http };
    },

    stop() {
      // In reverse: the API closes first (requests in flight get their answer), the broker before
      // the spool (nothing new arrives; everything acknowledged is on disk already), InfluxDB writes
      // in flight get what is left of half the shutdown budget (their records stay in the spool, so
      // a down InfluxDB never holds up the exit), and only at the end may another hub take this
      // data directory.
      stopping ??= (async () => {
        const ctx = { deadline: Date.now() + config.shutdown.timeout / 2 };
        let failure: unknown;
        for (const c of begun.splice(0).reverse()) {
          try {
            await c.stop(ctx);
          } catch (err) {
            logger.error({ err, component: c.name }, 'a component failed to stop');
            failure ??= err;
          }
        }
        if (failure !== undefined) throw failure;
      })();
      return stopping;
    },
  };
  return hub;
}
