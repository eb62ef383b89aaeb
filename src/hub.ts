/**
 * `buildHub(loaded)` → `{start, stop}`: wiring only (architecture.md). The stages never know each
 * other; this file connects broker → ingest (normalise, dead letters, store). Building does no
 * work and binds nothing; `start()` does, in an order that refuses to run half-configured:
 * models and inventory checked, InfluxDB database ensured, dead-letter store opened, and only
 * then the broker listens.
 */
import { join } from 'node:path';
import { createBroker, type BrokerPorts } from './broker/index.ts';
import type { Loaded } from './config/load.ts';
import { DeadLetterStore } from './deadletters/store.ts';
import type { Logger } from './log.ts';
import { checkInventoryModels, createNormaliser, loadRegistry } from './normalise/index.ts';
import { connectInflux, ensureDatabase, InfluxPointWriter, type PointWriter } from './store/index.ts';
import { Ingest } from './store/ingest.ts';

/** A built hub. */
export interface Hub {
  /** Start every stage; resolves with the bound ports once the broker listens. */
  start(): Promise<BrokerPorts>;
  /** Stop accepting, finish what is in flight, close InfluxDB writes. Safe to call twice. */
  stop(): Promise<void>;
  /** Counters of every stage, for logs, tests and (later) /metrics. */
  stats(): Record<string, unknown>;
}

export interface HubDeps {
  logger: Logger;
  /** The hub's clock (tests fix it). */
  now?: () => number;
}

/** Build a hub from a loaded config; nothing runs until `start()`. */
export function buildHub(loaded: Loaded, deps: HubDeps): Hub {
  const { config, inventory } = loaded;
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const connection = connectInflux({ ...config.influx });
  const deadLetters = new DeadLetterStore({ dir: join(config.dataDir, 'dead-letters'), maxBytes: config.deadLetters.maxBytes, maxAgeMs: config.deadLetters.maxAge, now });
  let writer: PointWriter | undefined;
  let ingest: Ingest | undefined;
  let broker: ReturnType<typeof createBroker> | undefined;
  let stopped: Promise<void> | undefined;

  return {
    async start() {
      const registry = await loadRegistry();
      checkInventoryModels(inventory, registry);
      const ensured = await ensureDatabase(connection);
      logger.info({ url: connection.settings.url, api: connection.version, ...ensured }, 'InfluxDB ready');
      await deadLetters.start();
      writer = new InfluxPointWriter(connection);
      const normaliser = createNormaliser({
        models: registry,
        pseudonymKey: config.pseudonymKey,
        maxPayloadBytes: config.mqtt.maxPacketBytes,
        maxFutureSkewMs: config.ingest.maxFutureSkew,
        maxAgeMs: config.ingest.maxAge,
        now,
      });
      const ing = (ingest = new Ingest({ inventory, normaliser, writer, deadLetters, logger }));
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
            ing.gatewayOffline(site, gateway, now()).catch((err: unknown) => logger.error({ err, site, gateway }, 'could not record gateway offline'));
          }
        },
      });
      const ports = await broker.start();
      logger.info({ mqtt: ports, sites: inventory.sites.length, models: registry.list().length }, 'hub started: listening');
      return ports;
    },

    stop() {
      // Broker first, so nothing new arrives; then drain the writer and the dead letters.
      stopped ??= (async () => {
        await broker?.stop();
        await writer?.close();
        await deadLetters.flush();
      })();
      return stopped;
    },

    stats() {
      return { broker: broker?.stats(), ingest: ingest?.stats(), writer: writer?.stats(), deadLetters: deadLetters.countsByReason() };
    },
  };
}
