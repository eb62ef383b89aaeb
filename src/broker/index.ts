/**
 * The MQTT broker (docs/contract.md §2): aedes 1.2 behind TCP, optional TLS and WebSocket
 * listeners, with authentication, the ACL, packet limits and gateway presence. Accepted
 * publishes go to the injected `onPublish`; the broker imports nothing from later stages.
 *
 * Constructing does nothing (architecture.md, "constructors only assign"); `start()` binds,
 * `stop()` disconnects every client and closes.
 */
import { Aedes, type Client, type ConnectPacket } from 'aedes';
import type { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HubError } from '../errors.ts';
import { Acl } from './acl.ts';
import { AuthCache } from './auth-cache.ts';
import { createAuthenticator, type Session } from './auth.ts';
import { openCluster, type ClusterParts } from './cluster.ts';
import { openListeners, type Listeners } from './listeners.ts';
import { guardPacketSizes } from './packet-guard.ts';
import { Presence } from './presence.ts';
import { createPublishAuthorizer } from './publish.ts';
import { RefusalCounter } from './refusals.ts';
import { rootLevels } from './topic.ts';
import type { Inventory } from '../config/inventory.ts';
import type { Broker, BrokerOptions, BrokerPorts, BrokerStats, OwnPublishOptions } from './types.ts';

export { AuthCache, type AuthCacheStats } from './auth-cache.ts';
export type {
  Broker,
  BrokerOptions,
  BrokerPorts,
  BrokerStats,
  GatewayStatusCause,
  HubBroker,
  OwnPublishOptions,
  PublishChannel,
  PublishContext,
} from './types.ts';
export { REFUSAL_REASONS, type RefusalReason } from './refusals.ts';
export { createExternalBroker, sharedFilters, type ExternalBrokerOptions } from './external.ts';

/** aedes' own errors for a wildcard in a PUBLISH topic (lib/handlers/publish.js), raised before authorizePublish. */
const WILDCARD_ERRORS = new Set(['+ is not allowed in PUBLISH', '# is not allowed in PUBLISH']);

/** Create the broker; nothing listens until `start()`. */
export function createBroker(options: BrokerOptions): Broker {
  return new MqttBroker(options);
}

class MqttBroker implements Broker {
  readonly name = 'broker';
  #instance: Aedes | undefined;
  #listeners: Listeners | undefined;
  #cluster: ClusterParts | undefined;
  #stopping = false;
  readonly #log;
  readonly #refusals;
  readonly #presence;
  readonly #acl;
  readonly #authCache;
  readonly #sessions = new WeakMap<Client, Session>();
  /** Clients aedes reported ready and not yet disconnected (what a reload may have to close). */
  readonly #ready = new Set<Client>();
  readonly #admitted = new Set<Duplex>();
  readonly #remotes = new WeakMap<Duplex, string>();
  readonly #counts = { accepted: 0, failed: 0 };
  #open = 0;

  readonly #options: BrokerOptions;

  constructor(options: BrokerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'broker' });
    this.#refusals = new RefusalCounter(this.#log);
    this.#presence = new Presence(this.#log, options.onGatewayStatus);
    this.#acl = new Acl(rootLevels(options.config.rootTopic));
    this.#authCache = options.authCache ?? new AuthCache({ ttlMs: options.config.authCacheTtl, now: options.now });
  }

  /** The ports bound; undefined while not listening. */
  ports(): BrokerPorts | undefined {
    return this.#listeners?.ports;
  }

  publish(topic: string, payload: string | Buffer, options: OwnPublishOptions): Promise<void> {
    const aedes = this.#instance;
    if (!aedes) return Promise.reject(new HubError('HUB_ERR_INTERNAL', 'the broker is not started'));
    const { retain, qos } = options;
    // aedes.publish delivers to subscribers and stores retained messages without asking
    // authorizePublish: the hub's own messages need no ACL (docs/contract.md §2).
    return new Promise<void>((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }

  disconnectGone(inventory: Inventory): string[] {
    const gone: string[] = [];
    for (const client of this.#ready) {
      const account = this.#sessions.get(client)?.account;
      if (account?.kind !== 'gateway') continue;
      if (this.#placed(account, inventory)) continue;
      gone.push(account.username);
      this.#log.info(
        { username: account.username, site: account.site },
        'gateway no longer in the inventory; disconnected',
      );
      client.close();
    }
    return [...new Set(gone)].sort();
  }

  prepareTlsReload(): Promise<(() => void) | undefined> {
    const listeners = this.#listeners;
    if (!listeners) return Promise.reject(new HubError('HUB_ERR_INTERNAL', 'the broker is not started'));
    return listeners.prepareTlsReload();
  }

  /** The gateway is in `inventory` at the site its session publishes under (its ACL subtree). */
  #placed(account: { username: string; site: string }, inventory = this.#options.inventory): boolean {
    return inventory.gateway(account.username)?.site === account.site;
  }

  get aedes(): Aedes {
    if (!this.#instance) throw new HubError('HUB_ERR_INTERNAL', 'the broker is not started');
    return this.#instance;
  }

  async start(): Promise<BrokerPorts> {
    if (this.#instance) throw new HubError('HUB_ERR_INTERNAL', 'the broker is started already');
    const { config, inventory } = this.#options;
    for (const o of config.observers) {
      if (inventory.gateway(o.username))
        this.#log.warn({ username: o.username }, 'an observer has the id of a gateway; the gateway account wins');
    }
    const ceiling = this.#options.packetCeilingBytes ?? 4 * config.maxPacketBytes;
    const { noDelay: _noDelay, ...tuning } = this.#options.tuning ?? {};
    const { redisUrl } = this.#options;
    const cluster = redisUrl
      ? openCluster({ redisUrl, rootTopic: config.rootTopic, logger: this.#log, concurrency: tuning.concurrency })
      : undefined;
    const aedes = new Aedes({
      ...tuning,
      ...(cluster ? { persistence: cluster.persistence, mq: cluster.mq } : {}),
      connectTimeout: config.connectTimeout, // [MQTT-3.1.4-1] CONNECT must come first, and in time
      preConnect: (_client, packet, done) => {
        capKeepalive(packet, config.maxKeepaliveSeconds);
        done(null, true);
      },
      authenticate: createAuthenticator({
        config,
        inventory,
        logger: this.#log,
        refusals: this.#refusals,
        sessions: this.#sessions,
        admitted: this.#admitted,
        remoteOf: (conn) => this.#remotes.get(conn) ?? '?',
        cache: this.#authCache,
      }),
      authorizePublish: createPublishAuthorizer({
        acl: this.#acl,
        logger: this.#log,
        refusals: this.#refusals,
        sessions: this.#sessions,
        presence: this.#presence,
        onPublish: this.#options.onPublish,
        counts: this.#counts,
        stopping: () => this.#stopping,
      }),
      authorizeSubscribe: (client, sub, done) =>
        this.#authorizeSubscribe(client, sub.topic) ? done(null, sub) : done(null, null),
    });
    this.#watch(aedes);
    try {
      await aedes.listen();
    } catch (err) {
      cluster?.abort();
      throw err;
    }
    this.#instance = aedes;
    this.#cluster = cluster;
    this.#stopping = false;
    const limits = { publish: ceiling, other: config.maxPacketBytes };
    try {
      this.#listeners = await openListeners(
        config,
        this.#log,
        (conn, remote, req) => this.#accept(aedes, conn, remote, limits, req),
        2 * ceiling,
      );
    } catch (err) {
      await this.#close(aedes);
      throw err;
    }
    this.#log.info({ ...this.#listeners.ports, host: config.host }, 'mqtt broker listening');
    return this.#listeners.ports;
  }

  async stop(): Promise<void> {
    const aedes = this.#instance;
    if (!aedes) return;
    this.#stopping = true;
    this.#presence.quiet = true;
    await this.#close(aedes);
    await this.#listeners?.close();
    this.#listeners = undefined;
    this.#ready.clear();
    this.#presence.quiet = false;
    this.#log.info('mqtt broker stopped');
  }

  /** Cluster mode: the gateway is back, so a dead hub's Wills for it must not go out (cluster.ts). */
  #forgetWills(aedes: Aedes, username: string): void {
    this.#cluster?.forgetWills(`${username}/`, aedes.id).then(
      (n) => n > 0 && this.#log.info({ username, wills: n }, "dropped a dead hub's Wills of a gateway that is back"),
      (err: unknown) => this.#log.warn({ err, username }, "could not drop a dead hub's Wills"),
    );
  }

  /** Close aedes (every client, then its emitter), then the cluster's Redis connections. */
  async #close(aedes: Aedes): Promise<void> {
    const closed = new Promise<void>((resolve) => aedes.close(() => resolve()));
    await (this.#cluster ? this.#cluster.close(closed) : closed);
    this.#cluster = undefined;
    this.#instance = undefined;
  }

  stats(): BrokerStats {
    return {
      listening: this.#listeners !== undefined,
      connections: this.#open,
      clients: this.#admitted.size,
      gateways: this.#presence.gateways(),
      accepted: this.#counts.accepted,
      failed: this.#counts.failed,
      refusals: this.#refusals.snapshot(),
      authCache: this.#authCache.stats(),
    };
  }

  /** A new network connection from any listener. */
  #accept(
    aedes: Aedes,
    conn: Duplex,
    remote: string,
    limits: { publish: number; other: number },
    req?: Parameters<Aedes['handle']>[1],
  ): void {
    const max = this.#options.config.maxConnections;
    // Sockets beyond the session limit still get a proper CONNACK 3 from authenticate; beyond a
    // margin for those (a CONNECT flood), they are closed unread.
    if (this.#stopping || this.#open >= max + Math.max(max, 100)) {
      if (!this.#stopping)
        this.#refusals.refuse('connection_limit', { remote, detail: `${this.#open} connections open` });
      conn.destroy();
      return;
    }
    this.#open++;
    this.#remotes.set(conn, remote);
    if (this.#options.tuning?.noDelay === false && conn instanceof Socket) conn.setNoDelay(false);
    conn.once('close', () => {
      this.#open--;
      this.#admitted.delete(conn);
    });
    aedes.handle(conn, req);
    guardPacketSizes(conn, limits, (v) => {
      const type = v.type === 3 ? 'PUBLISH' : `type ${v.type}`;
      const size = v.bytes === undefined ? 'a malformed Remaining Length' : `${v.bytes} bytes`;
      this.#refusals.refuse('packet_too_large', { remote, detail: `${type} packet of ${size}, limit ${v.limit}` });
    });
  }

  #authorizeSubscribe(client: Client, filter: string): boolean {
    const session = this.#sessions.get(client);
    if (session && this.#acl.subscribe(session.account, filter)) return true;
    // [MQTT-3.9.3] a refused filter gets return code 0x80 in the SUBACK; the connection stays.
    this.#refusals.refuse('subscribe_denied', {
      username: session?.account.username,
      clientId: session?.clientId,
      remote: session?.remote,
      topic: filter,
    });
    return false;
  }

  /** Log and track what aedes reports. */
  #watch(aedes: Aedes): void {
    aedes.on('clientReady', (client) => {
      const s = this.#sessions.get(client);
      if (!s) return;
      if (s.account.kind === 'gateway' && !this.#placed(s.account)) {
        // Its CONNECT was checked against an inventory that a reload replaced meanwhile (during scrypt).
        this.#log.info({ username: s.account.username }, 'gateway no longer in the inventory; disconnected');
        client.close();
        return;
      }
      this.#ready.add(client);
      if (s.account.kind === 'gateway') {
        s.counted = true;
        this.#presence.connected(s.account.username);
        this.#forgetWills(aedes, s.account.username);
      }
      this.#log.info(
        { username: s.account.username, kind: s.account.kind, clientId: s.clientId, remote: s.remote },
        'mqtt client connected',
      );
    });
    aedes.on('clientDisconnect', (client) => {
      this.#ready.delete(client);
      const s = this.#sessions.get(client);
      if (!s) return;
      this.#log.info({ username: s.account.username, clientId: s.clientId }, 'mqtt client disconnected');
      // aedes sends the CONNACK and resumes reading before it reports the client ready, and reports
      // the end of any connection it registered: a PUBLISH refused in between (mosquitto_pub
      // publishes the moment its CONNACK arrives; under load the window is wide) ends a session
      // that was never counted, which must not uncount the gateway's live one and record it
      // offline. Seen as a stray gateway_status point in test/e2e/refusals.test.ts under CPU load
      // (2 runs in 8 before this check, none in 10 after).
      if (s.account.kind === 'gateway' && s.counted) this.#presence.disconnected(s.account.site, s.account.username, s);
    });
    aedes.on('subscribe', (subs, client) => {
      const s = this.#sessions.get(client);
      this.#log.debug(
        {
          username: s?.account.username,
          clientId: s?.clientId,
          subscriptions: subs.map((x) => `${x.topic} (${x.qos})`),
        },
        'mqtt subscribed',
      );
    });
    aedes.on('clientError', (client, err) => {
      const s = this.#sessions.get(client);
      if (WILDCARD_ERRORS.has(err.message) && s) {
        this.#refusals.refuse('publish_wildcard', {
          username: s.account.username,
          clientId: s.clientId,
          remote: s.remote,
          detail: err.message,
        });
        return;
      }
      this.#log.debug({ username: s?.account.username, err: err.message }, 'mqtt client error; connection closed');
    });
    aedes.on('connectionError', (_client, err) =>
      this.#log.debug({ err: err.message }, 'mqtt connection error before CONNECT completed'),
    );
    aedes.on('keepaliveTimeout', (client) =>
      this.#log.info(
        { username: this.#sessions.get(client)?.account.username },
        'mqtt keepalive timeout [MQTT-3.1.2-24]',
      ),
    );
    // aedes emits 'error' on persistence failures; unhandled, it would crash the process.
    (aedes as EventEmitter).on('error', (err: Error) => this.#log.error({ err }, 'aedes error'));
  }
}

/**
 * MQTT 3.1.1 lets the server only enforce, not negotiate, the keepalive: aedes' `keepaliveLimit`
 * would refuse with CONNACK 6, a return code 3.1.1 reserves. So a keepalive of 0 (none) or above
 * `max` is replaced by `max` before aedes arms its timer: the client is disconnected after 1.5 ×
 * `max` seconds of silence [MQTT-3.1.2-24].
 */
function capKeepalive(packet: ConnectPacket, max: number): void {
  if (!packet.keepalive || packet.keepalive > max) packet.keepalive = max;
}
