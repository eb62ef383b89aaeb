/**
 * `buildHub(loaded)` → `{start, stop}`: wiring only (architecture.md). The stages never know each
 * other; this file connects broker → ingest (normalise, dead letters, spool) and the spool's
 * drainer → InfluxDB. Building does no work and binds nothing; `start()` does, in an order that
 * refuses to run half-configured: models and inventory checked, InfluxDB database ensured (or, if
 * InfluxDB is down, left to the drainer: the spool takes messages meanwhile), dead-letter store
 * and spool opened (the spool replays what an earlier run left), and only then the broker listens,
 * then the HTTP API (src/api/). Before all of it, `start()` locks the data directory (one hub per
 * dataDir); `stop()` closes the API first and releases that lock last.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.ts';
import { createBroker } from './broker/index.ts';
import type { Loaded } from './config/load.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import type { ReplayResult } from './api/deps.ts';
import { DeadLetterStore, type DeadLetter } from './deadletters/store.ts';
import { HubError, isHubError } from './errors.ts';
import type { Hub, HubDeps, HubSpoolStats } from './hub-types.ts';
import { checkInventoryModels, createNormaliser, loadRegistry } from './normalise/index.ts';
import { connectInflux, DEFAULT_INFLUX_SETTINGS, ensureDatabase, InfluxPointWriter, ping } from './store/index.ts';
import { Ingest } from './store/ingest.ts';
import { SelfStats } from './store/self-stats.ts';
import { Drainer, Spool } from './store/spool/index.ts';
import { createKpiScheduler, type KpiScheduler } from './kpi/index.ts';

export type { Hub, HubDeps, HubPorts, HubSpoolStats, HubStats, Readiness } from './hub-types.ts';

/** Build a hub from a loaded config; nothing runs until `start()`. */
export function buildHub(loaded: Loaded, deps: HubDeps): Hub {
  const { config, inventory } = loaded;
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const connection = connectInflux({ ...config.influx });
  // The drainer retries by itself, forever and stoppably; its writer tries each request once and
  // sends what it is handed at once (the drainer hands over whole chunks: no batch to wait for).
  const drainConnection = connectInflux({ ...config.influx, maxRetries: 0, flushIntervalMs: 0 });
  // A readiness probe answers quickly or not at all.
  const probe = connectInflux({
    ...config.influx,
    requestTimeoutMs: Math.min(2000, config.influx.requestTimeoutMs ?? DEFAULT_INFLUX_SETTINGS.requestTimeoutMs),
  });
  const deadLetters = new DeadLetterStore({
    dir: join(config.dataDir, 'dead-letters'),
    maxBytes: config.deadLetters.maxBytes,
    maxAgeMs: config.deadLetters.maxAge,
    now,
    logger: logger.child({ component: 'dead-letters' }),
  });
  const spool = new Spool({
    dir: join(config.dataDir, 'spool'),
    maxBytes: config.spool.maxBytes,
    fsync: config.spool.fsync,
    maxBufferedBytes: config.spool.maxBufferedBytes,
    backpressureTimeoutMs: config.spool.backpressureTimeout,
    logger: logger.child({ component: 'spool' }),
  });
  let writer: InfluxPointWriter | undefined;
  let drainer: Drainer | undefined;
  let ingest: Ingest | undefined;
  let broker: ReturnType<typeof createBroker> | undefined;
  let kpi: KpiScheduler | undefined;
  let kpiWriter: InfluxPointWriter | undefined;
  let apiWriter: InfluxPointWriter | undefined;
  let api: FastifyInstance | undefined;
  let selfStats: SelfStats | undefined;
  let stopped: Promise<void> | undefined;
  let lock: DataDirLock | undefined;

  const spoolStats = (): HubSpoolStats | undefined => {
    if (!drainer) return undefined;
    const d = drainer.stats();
    return {
      ...spool.stats(),
      draining: d.state === 'draining' || d.state === 'retrying',
      oldestRecordAgeMs: d.oldestRecordAgeMs,
      drainer: d,
    };
  };

  const hub: Hub = {
    async start() {
      // First of all: a second hub on this data directory would drain and delete the same spool
      // segments and append to the same dead-letter files (src/data-dir-lock.ts).
      lock = await lockDataDir(config.dataDir, (fields, msg) => logger.warn(fields, msg));
      const registry = await loadRegistry();
      checkInventoryModels(inventory, registry);
      try {
        const ensured = await ensureDatabase(connection);
        logger.info({ url: connection.settings.url, api: connection.version, ...ensured }, 'InfluxDB ready');
      } catch (e) {
        // Down now is no reason to refuse data: the spool keeps it and the drainer ensures the
        // database before its first write. Refused credentials are a configuration error.
        if (!isHubError(e) || !e.retryable) throw e;
        logger.warn({ url: connection.settings.url, err: e }, 'InfluxDB not reachable at start; spooling until it is');
      }
      await deadLetters.start();
      const left = await spool.open();
      if (left.segments > 0)
        logger.info({ ...left, dir: join(config.dataDir, 'spool') }, 'spool: replaying what an earlier run left');
      const settings = drainConnection.settings;
      writer = new InfluxPointWriter(drainConnection);
      drainer = new Drainer({
        spool,
        writer,
        deadLetters,
        logger: logger.child({ component: 'spool' }),
        chunkPoints: Math.min(settings.batchSize * settings.maxBatchesInFlight, settings.maxQueuedPoints),
        batchPoints: Math.min(settings.batchSize, settings.maxQueuedPoints),
        retry: settings,
        prepare: () => ensureDatabase(connection),
        now,
      });
      drainer.start();
      const normaliser = createNormaliser({
        models: deps.models ? deps.models(registry) : registry,
        pseudonymKey: config.pseudonymKey,
        maxPayloadBytes: config.mqtt.maxPacketBytes,
        maxFutureSkewMs: config.ingest.maxFutureSkew,
        maxAgeMs: config.ingest.maxAge,
        now,
      });
      const ing = (ingest = new Ingest({ inventory, normaliser, spool, deadLetters, logger, now }));
      broker = createBroker({
        config: config.mqtt,
        inventory,
        logger,
        onPublish: async (ctx) => {
          await ing.handle({ ...ctx, receivedAt: now() });
        },
        onGatewayStatus: (site, gateway, online, cause) => {
          // Status messages and Wills are recorded by onPublish; only a connection lost without
          // a Will needs its own offline point.
          if (cause === 'disconnect' && !online) {
            ing
              .gatewayOffline(site, gateway, now())
              .catch((err: unknown) => logger.error({ err, site, gateway }, 'could not record gateway offline'));
          }
        },
      });
      const ports = await broker.start();
      if (config.kpi.enabled) {
        const b = broker;
        const d = drainer;
        // KPI points go straight to InfluxDB with the writer's own retries: a KPI run that cannot
        // write is retried at the next tick, never recorded as zero (docs/contract.md §5).
        kpiWriter = new InfluxPointWriter(connection);
        kpi = createKpiScheduler({
          conn: connection,
          writer: kpiWriter,
          inventory,
          config,
          logger: logger.child({ component: 'kpi' }),
          now,
          // Retained `{root}/{site}/kpi/{kpi}` (docs/contract.md §2); the hub's own publish passes the ACL.
          publish: (topic, payload, retain) =>
            new Promise<void>((resolve, reject) =>
              b.aedes.publish(
                { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false },
                (e) => (e ? reject(e) : resolve()),
              ),
            ),
          // Refresh while the spool drains, but close a period only once what was acknowledged is in
          // InfluxDB: the drainer is idle with nothing left behind its cursor. (`spool.stats().records`
          // counts records since start: no measure of what waits.)
          canClose: () => {
            const ds = d.stats();
            return ds.state === 'idle' && ds.lagBytes === 0;
          },
        });
        kpi.start();
      }
      if (config.selfStats.enabled) {
        // Through the spool, like the data: see src/store/self-stats.ts.
        selfStats = new SelfStats({
          intervalMs: config.selfStats.interval,
          instance: config.selfStats.instance,
          stats: () => hub.stats(),
          spool,
          full: () => spool.stats().backpressure,
          logger: logger.child({ component: 'self-stats' }),
          now,
        });
        selfStats.start();
      }
      // The HTTP API last: it answers /ready, so it listens once there is something to be ready.
      apiWriter = new InfluxPointWriter(connection);
      api = await buildServer({ config, inventory, conn: connection, writer: apiWriter, logger, now, hub });
      try {
        await api.listen({ host: config.http.host, port: config.http.port });
      } catch (e) {
        throw new HubError(
          'HUB_ERR_LISTEN',
          `the HTTP API cannot listen on ${config.http.host}:${config.http.port}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      const http = (api.server.address() as AddressInfo).port;
      logger.info(
        { mqtt: ports, http, sites: inventory.sites.length, models: registry.list().length, kpi: config.kpi.enabled },
        'hub started: listening',
      );
      return { ...ports, http };
    },

    stop() {
      // Broker first, so nothing new arrives; the spool then commits what it admitted (everything
      // acknowledged is on disk already), the drainer stops at once, and InfluxDB writes in flight
      // get what is left of half the shutdown budget: their records stay in the spool either way,
      // so a down InfluxDB never holds up the exit (docs/operations.md, "Stopping").
      stopped ??= (async () => {
        const deadline = Date.now() + config.shutdown.timeout / 2;
        selfStats?.stop();
        // Requests in flight get their answer (each then closes its connection: src/api/server.ts);
        // a client that never reads its answer is cut off at the deadline.
        const apiClosed = api?.close();
        if (api && apiClosed && !(await settlesBy(apiClosed, deadline))) {
          logger.warn('HTTP requests still open at shutdown; their connections are closed');
          api.server.closeAllConnections();
          await apiClosed.catch((err: unknown) => logger.warn({ err }, 'closing the HTTP API failed'));
        }
        await kpi?.stop();
        await broker?.stop();
        await spool.close();
        await drainer?.stop();
        if (writer && !(await settlesBy(writer.close(), deadline))) {
          logger.warn(
            { inFlight: writer.stats().batchesInFlight },
            'InfluxDB writes still in flight at shutdown; their points stay in the spool for the next start',
          );
        }
        if (kpiWriter) await settlesBy(kpiWriter.close(), deadline);
        if (apiWriter) await settlesBy(apiWriter.close(), deadline);
        await deadLetters.flush();
        // (A start refused before the spool opened has nothing to report.)
        if (drainer) {
          const s = spool.stats();
          logger.info(
            { bytes: s.bytes, segments: s.segments },
            s.segments > 0 ? 'spool closed; its records are written after the next start' : 'spool closed, empty',
          );
        }
        // Last: only now may another hub open this spool and these dead letters.
        await lock?.release();
      })();
      return stopped;
    },

    stats() {
      return {
        broker: broker?.stats(),
        ingest: ingest?.stats(),
        writer: writer?.stats(),
        spool: spoolStats(),
        kpi: kpi?.stats(),
        deadLetters: deadLetters.countsByReason(),
        selfStats: selfStats?.counts(),
      };
    },

    drained() {
      return drainer ? drainer.drained() : Promise.resolve();
    },

    ingest(msg) {
      if (!ingest)
        return Promise.reject(
          new HubError('HUB_ERR_WRITER_CLOSED', 'the hub is not taking messages (not started, or stopping)'),
        );
      return ingest.handle(msg);
    },

    deadLetters(filter) {
      return deadLetters.list(filter);
    },

    async replay(selection) {
      const ing = ingest;
      if (!ing || stopped)
        throw new HubError('HUB_ERR_WRITER_CLOSED', 'the hub is not taking messages (not started, or stopping)');
      const { ids, ...filter } = selection;
      let chosen: DeadLetter[];
      // By ids: read only the files the ids name, never the whole store into memory.
      if (ids) chosen = await deadLetters.find(ids);
      else chosen = await deadLetters.list(filter);
      const out: ReplayResult[] = [];
      for (const dl of chosen) {
        const r = await ing.replay(dl);
        out.push({
          id: dl.id,
          points: r.points,
          stillRejected: r.rejects.map(({ reason, index }) => (index === undefined ? { reason } : { reason, index })),
        });
      }
      if (out.length > 0)
        logger.info({ replayed: out.length, points: out.reduce((a, r) => a + r.points, 0) }, 'dead letters replayed');
      return out;
    },

    async ready() {
      const listening = broker?.stats().listening ?? false;
      const pinged = await ping(probe);
      const s = spoolStats();
      const reasons: string[] = [];
      if (!listening) reasons.push('the MQTT broker is not listening');
      if (!s) reasons.push('the spool is not open');
      else if (s.backpressure) reasons.push('the spool is full: acknowledgements are held back');
      if (s?.drainer.state === 'stopped' && !stopped) reasons.push('the spool drainer stopped');
      const influx = pinged.ok
        ? { reachable: true, ...(pinged.version ? { version: pinged.version } : {}) }
        : { reachable: false, error: pinged.error.message };
      return { ready: reasons.length === 0, reasons, broker: { listening }, influx, spool: s };
    },
  };
  return hub;
}

/** True when `p` settles before `deadline` (epoch ms); its outcome is not needed. */
async function settlesBy(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>(
    (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))),
  );
  const settled = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
