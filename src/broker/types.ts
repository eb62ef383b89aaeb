/**
 * The broker's public shapes: what the hub passes in (options, handlers) and what it gets back
 * (ports, stats). The broker knows nothing of normalise or store (architecture.md: data flows
 * one way); the hub wires `onPublish` to the ingest pipeline.
 */
import type { Aedes } from 'aedes';
import type { Inventory } from '../config/inventory.ts';
import type { HubConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { AuthCache, AuthCacheStats } from './auth-cache.ts';
import type { RefusalReason } from './refusals.ts';

/** The `mqtt` section of hub.yaml. */
export type MqttConfig = HubConfig['mqtt'];

/** Topic channel of an accepted publish (docs/contract.md §2). */
export type PublishChannel = 'telemetry' | 'event' | 'status';

/** An accepted gateway publish, handed to `onPublish` (payload verbatim, never parsed here). */
export interface PublishContext {
  site: string;
  gateway: string;
  /** Set for `telemetry` and `event`; absent for `status`. */
  device?: string;
  channel: PublishChannel;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** The client id the gateway sent in CONNECT (for logs only: never used to authorise). */
  clientId: string;
}

/** Why `onGatewayStatus` was called. */
export type GatewayStatusCause = 'status' | 'will' | 'disconnect';

/** What `createBroker` needs. */
export interface BrokerOptions {
  config: MqttConfig;
  inventory: Inventory;
  logger: Logger;
  /**
   * Called for every publish the ACL accepts. Resolve once the message is durable (written, spooled
   * or dead-lettered): only then is the QoS 1 PUBACK sent (docs/contract.md §2, "Delivery"). Reject
   * when it cannot be made durable: the PUBLISH is not acknowledged and the connection is closed,
   * so the gateway sends it again after reconnecting.
   */
  onPublish: (ctx: PublishContext) => Promise<unknown>;
  /** A gateway went online or offline (status message, Last Will, or a connection ending). */
  onGatewayStatus?: (site: string, gateway: string, online: boolean, cause: GatewayStatusCause) => void;
  /**
   * Largest PUBLISH packet read at all; bigger ones close the connection at their fixed header,
   * before the body is buffered. Default `4 × config.maxPacketBytes`. A PUBLISH between
   * `maxPacketBytes` and this ceiling reaches `onPublish`, so the pipeline keeps it as an
   * `oversized` dead letter (docs/contract.md §2: "never silently dropped").
   */
  packetCeilingBytes?: number;
  /**
   * `cluster.redisUrl`: aedes keeps its sessions and retained messages in this Redis and routes
   * publishes through it, shared with every hub on it (src/broker/cluster.ts). Unset: in memory.
   */
  redisUrl?: string;
  /** Clock of the verified-credential cache's TTL, in ms (tests). Default `Date.now`. */
  now?: () => number;
  /**
   * The verified-credential cache, when someone else also checks credentials with it (hub.ts shares
   * it with the EMQX endpoints: one set of entries, one set of counters). Default: its own.
   */
  authCache?: AuthCache;
  /**
   * aedes and socket knobs for `npm run bench -- aedes` (docs/benchmarks.md, "aedes settings");
   * unset: aedes' defaults and `noDelay` on. Not configuration: no value measured better than these.
   */
  tuning?: { concurrency?: number; queueLimit?: number; noDelay?: boolean };
}

/** The ports the broker bound (0 in the config means any free port). */
export interface BrokerPorts {
  port: number;
  tlsPort?: number;
  wsPort?: number;
}

/** Counters and current state, for `/metrics`, `/ready` and logs. */
export interface BrokerStats {
  listening: boolean;
  /** Open network connections on every listener, authenticated or not. */
  connections: number;
  /** Authenticated MQTT sessions (gateways and observers). */
  clients: number;
  /** Ids of the gateways with at least one authenticated connection, sorted. */
  gateways: string[];
  /** Publishes that `onPublish` accepted (and that were acknowledged, for QoS > 0). */
  accepted: number;
  /** Publishes whose `onPublish` rejected: not acknowledged, connection closed. */
  failed: number;
  /** Refusals at CONNECT or at the packet, by reason. */
  refusals: Record<RefusalReason, number>;
  /** The verified-credential cache of CONNECT (`mqtt.authCacheTtl`). */
  authCache: AuthCacheStats;
}

/** How the hub publishes a message of its own (the retained KPI values, docs/contract.md §2). */
export interface OwnPublishOptions {
  retain: boolean;
  qos: 0 | 1;
}

/**
 * The broker, a component of the hub (src/lifecycle.ts): constructed idle; `start()` listens,
 * `stop()` disconnects everyone and closes.
 */
export interface Broker {
  readonly name: string;
  start(): Promise<BrokerPorts>;
  stop(): Promise<void>;
  stats(): BrokerStats;
  /** The ports bound; undefined while not listening. */
  ports(): BrokerPorts | undefined;
  /**
   * Publish a message of the hub's own to the subscribers (and keep it when `retain`); resolves once
   * aedes has taken it. No ACL: the hub is not a client. Rejects before `start()`.
   */
  publish(topic: string, payload: string | Buffer, options: OwnPublishOptions): Promise<void>;
  /**
   * Close the connections of gateways `inventory` no longer has (or has at another site); returns
   * their ids. Connections of the gateways it still has are left alone: credentials are checked at
   * CONNECT only, so a changed secret applies to the next connection.
   */
  disconnectGone(inventory: Inventory): string[];
  /**
   * Read and check the TLS listener's certificate, key and CA files again (docs/operations.md,
   * "Rotating TLS certificates"). Resolves with a function that puts them in force for new
   * connections (live ones keep theirs), or undefined when there is no TLS listener. Rejects with
   * `HUB_ERR_TLS_INVALID`, having changed nothing, when a file is unreadable or unusable.
   */
  prepareTlsReload(): Promise<(() => void) | undefined>;
  /** The aedes instance, for tests that look inside; the hub itself uses {@link Broker.publish}. */
  readonly aedes: Aedes;
}

/**
 * What the hub uses of a broker, embedded or external (src/broker/external.ts): everything but
 * the aedes instance.
 */
export type HubBroker = Omit<Broker, 'aedes'>;
