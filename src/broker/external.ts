/**
 * External broker mode (docs/operations.md, "Behind an external broker"): the hub embeds no broker;
 * it is an MQTT client of the operator's broker (Mosquitto, EMQX, HiveMQ…) and takes the gateways'
 * messages through a shared subscription, `$share/{group}/{root}/+/+/+/+` and
 * `$share/{group}/{root}/+/+/status`, so several hubs split one stream.
 *
 * Acknowledged means kept (docs/contract.md §2, "Delivery"), here towards the broker: each QoS 1
 * message is handed to `onPublish` and PUBACKed only once that resolved (durable in the spool or
 * kept as a dead letter), through mqtt.js' `customHandleAcks`. Sessions are persistent
 * (`clean: false`, stable client ids), so what a hub held unacknowledged when it died is delivered
 * again when it returns (or, depending on the broker, to another member of the group). A message
 * `onPublish` refuses (the spool full past its timeout, the hub stopping) is not acknowledged: the
 * connection is dropped and mqtt.js reconnects, and the broker delivers it again.
 *
 * The broker enforces who may publish where (the Mosquitto ACL export, or the EMQX endpoints); the
 * hub still takes a message only from a topic whose gateway the inventory places at that site.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { HubError } from '../errors.ts';
import { redactUrl } from '../log.ts';
import { RefusalCounter } from './refusals.ts';
import { levelsAfter, rootLevels } from './topic.ts';
import type { AuthCache } from './auth-cache.ts';
import type { BrokerOptions, BrokerPorts, BrokerStats, HubBroker, OwnPublishOptions, PublishContext } from './types.ts';

/** What {@link createExternalBroker} needs: the embedded broker's options, less its listeners. */
export type ExternalBrokerOptions = Pick<BrokerOptions, 'config' | 'inventory' | 'logger' | 'onPublish'> & {
  authCache: AuthCache;
};

/** The external-mode broker component; `start()` connects and subscribes. */
export function createExternalBroker(options: ExternalBrokerOptions): HubBroker {
  return new ExternalBroker(options);
}

/** The topic filters of the share group (docs/contract.md §2). */
export function sharedFilters(root: string, group: string): string[] {
  const r = rootLevels(root).join('/');
  return [`$share/${group}/${r}/+/+/+/+`, `$share/${group}/${r}/+/+/status`];
}

class ExternalBroker implements HubBroker {
  readonly name = 'broker';
  readonly #o: ExternalBrokerOptions;
  readonly #log;
  readonly #refusals;
  readonly #root: string[];
  #clients: MqttClient[] = [];
  #started = false;
  #stopping = false;
  readonly #counts = { accepted: 0, failed: 0 };

  constructor(options: ExternalBrokerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'broker', mode: 'external' });
    this.#refusals = new RefusalCounter(this.#log);
    this.#root = rootLevels(options.config.rootTopic);
  }

  ports(): BrokerPorts | undefined {
    // No listener: port 0 says so (the start log line also names the broker URL).
    return this.#started ? { port: 0 } : undefined;
  }

  async start(): Promise<BrokerPorts> {
    const { config } = this.#o;
    const base =
      config.clientId ??
      `community-hub-${hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .slice(0, 32)}`;
    const ca = config.brokerCaFile ? readFileSync(config.brokerCaFile) : undefined;
    const filters = sharedFilters(config.rootTopic, config.shareGroup);
    const connect = async (n: number): Promise<MqttClient> => {
      const options: IClientOptions = {
        clientId: `${base}-${n}`,
        // MQTT 5: mqtt.js honours customHandleAcks only on v5 (on 3.1.1 it acknowledges at once),
        // and shared subscriptions are in the v5 standard. A kept session needs an expiry on v5.
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: Math.ceil(config.brokerSessionExpiry / 1000) },
        reconnectPeriod: 1_000,
        connectTimeout: config.connectTimeout,
        keepalive: 60,
        ...(config.brokerUsername !== undefined ? { username: config.brokerUsername } : {}),
        ...(config.brokerPassword !== undefined ? { password: config.brokerPassword } : {}),
        ...(ca ? { ca } : {}),
        customHandleAcks: (topic, payload, packet, done) => this.#handle(client, topic, payload, packet, done),
      };
      const client = mqtt.connect(config.brokerUrl!, options);
      // Without this mqtt.js would acknowledge on its own; checked, since acknowledging early loses data.
      if (client.options.customHandleAcks !== options.customHandleAcks)
        throw new Error('mqtt.js ignores customHandleAcks');
      client.on('error', (err) =>
        this.#log.warn({ err, clientId: options.clientId }, 'external broker connection error'),
      );
      client.on('offline', () =>
        this.#log.warn({ clientId: options.clientId }, 'external broker connection lost; reconnecting'),
      );
      this.#clients.push(client);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new HubError(
                'HUB_ERR_BROKER_UNREACHABLE',
                `cannot connect to ${redactUrl(config.brokerUrl!)} within ${config.connectTimeout} ms`,
              ),
            ),
          config.connectTimeout,
        );
        client.once('connect', () => (clearTimeout(timer), resolve()));
      });
      // Subscribing again on a kept session is harmless; on a new one it is what starts the flow.
      await client.subscribeAsync(filters, { qos: 1 });
      return client;
    };
    try {
      for (let n = 0; n < config.brokerConnections; n++) await connect(n);
    } catch (e) {
      await this.#endAll();
      throw e;
    }
    this.#started = true;
    this.#log.info(
      { broker: redactUrl(config.brokerUrl!), filters, connections: config.brokerConnections, clientId: base },
      'subscribed to the external broker',
    );
    return { port: 0 };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#started = false;
    await this.#endAll();
  }

  async #endAll(): Promise<void> {
    // Forced: a message in hand stays unacknowledged, so the broker delivers it again to the next
    // run (its points are the same points: a rewrite, docs/contract.md §4).
    await Promise.all(this.#clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  }

  #handle(
    client: MqttClient,
    topic: string,
    payload: Buffer,
    packet: { qos: 0 | 1 | 2; retain: boolean },
    done: (error: Error | number, code?: number) => void,
  ): void {
    const route = this.#route(topic);
    if (!route) {
      done(0); // counted and logged as a refusal, as the embedded broker refuses it
      return;
    }
    const ctx: PublishContext = {
      ...route,
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      clientId: '(external broker)',
    };
    this.#o.onPublish(ctx).then(
      () => {
        this.#counts.accepted++;
        done(0);
      },
      (err: unknown) => {
        this.#counts.failed++;
        if (!this.#stopping)
          this.#log.error(
            { err, topic },
            'message not durable: not acknowledged, reconnecting so the broker sends it again',
          );
        // Never acknowledged: drop the connection; mqtt.js reconnects and the session redelivers.
        client.stream?.destroy();
      },
    );
  }

  /** Site, gateway, device and channel of a topic the inventory knows; undefined (refused) else. */
  #route(topic: string): Omit<PublishContext, 'topic' | 'payload' | 'qos' | 'retain' | 'clientId'> | undefined {
    const rest = levelsAfter(topic, this.#root);
    const [site, gateway] = rest ?? [];
    const known = gateway !== undefined ? this.#o.inventory.gateway(gateway) : undefined;
    if (!rest || site === undefined || !known || known.site !== site) {
      this.#refusals.refuse('publish_foreign', { topic, detail: 'no gateway of the inventory at this site' });
      return undefined;
    }
    if (rest.length === 3 && rest[2] === 'status') return { site, gateway: gateway!, channel: 'status' };
    const [, , device, channel] = rest;
    if (rest.length !== 4 || device === undefined || (channel !== 'telemetry' && channel !== 'event')) {
      this.#refusals.refuse('publish_bad_topic', {
        topic,
        detail: 'expected {device}/telemetry, {device}/event or status',
      });
      return undefined;
    }
    return { site, gateway: gateway!, device, channel };
  }

  stats(): BrokerStats {
    const connected = this.#clients.filter((c) => c.connected).length;
    return {
      listening: this.#started && connected > 0,
      connections: connected,
      clients: connected,
      gateways: [],
      accepted: this.#counts.accepted,
      failed: this.#counts.failed,
      refusals: this.#refusals.snapshot(),
      authCache: this.#o.authCache.stats(),
    };
  }

  async publish(topic: string, payload: string | Buffer, options: OwnPublishOptions): Promise<void> {
    const client = this.#clients.find((c) => c.connected);
    if (!client) throw new HubError('HUB_ERR_BROKER_UNREACHABLE', 'no connection to the external broker');
    await client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain });
  }

  disconnectGone(): string[] {
    return []; // the gateways' connections are the broker's; its ACL follows the inventory export
  }

  prepareTlsReload(): Promise<undefined> {
    return Promise.resolve(undefined); // no listener of its own
  }
}
