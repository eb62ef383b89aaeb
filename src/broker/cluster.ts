/**
 * Embedded cluster mode (docs/operations.md, "Several hubs sharing Redis (embedded cluster)"): with
 * `cluster.redisUrl` set, aedes keeps sessions, subscriptions, retained messages, Wills and the
 * QoS 1 messages queued for offline sessions in Redis (aedes-persistence-redis), and routes every
 * publish through Redis pub/sub (mqemitter-redis), so a gateway may connect to any hub sharing that
 * Redis. The spool and the dead letters stay per hub: a PUBACK still means "durable in the spool of
 * the hub that received it" (docs/contract.md §2, "Delivery").
 *
 * Keys and channels are prefixed with `{mqtt.rootTopic}:`, so hubs of different topic roots (a v1
 * and a v2 fleet side by side) may share one Redis without seeing each other's sessions.
 */
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { redactUrl, type Logger } from '../log.ts';

/** What aedes 1.2 calls on an async persistence that the hub calls too. */
interface RedisPersistence {
  destroy(): Promise<void>;
}

/** The pub/sub emitter aedes routes publishes through; aedes closes it in its own `close()`. */
interface ClusterEmitter {
  close(cb: () => void): void;
  /** mqemitter-redis re-emits its connections' errors here: without a listener they would crash the process. */
  readonly state: { on(event: 'error', listener: (err: Error) => void): void };
}

type PersistenceFactory = (options: { conn: Redis }) => RedisPersistence;
type PrefixEmitter = new (
  prefix: string,
  options: { subConn: Redis; pubConn: Redis; matchEmptyLevels: boolean; concurrency: number },
) => ClusterEmitter;

// Both packages are CommonJS without ESM entry points; aedes-persistence-redis ships no types and
// mqemitter-redis' types omit MQEmitterRedisPrefix, so each is typed here by what the hub uses.
const require = createRequire(import.meta.url);
const createPersistence = require('aedes-persistence-redis') as PersistenceFactory;
const { MQEmitterRedisPrefix } = require('mqemitter-redis') as { MQEmitterRedisPrefix: PrefixEmitter };

/** How long `close()` waits for aedes to close, and then for Redis to confirm what it sent. */
const CLOSE_MS = 3_000;
const FLUSH_MS = 2_000;
/** aedes-persistence-redis' list of Will keys, `will:{brokerId}:{encoded client id}` (ioredis adds the prefix). */
const WILLS = 'will';
/**
 * Drops the Wills listed in KEYS[1] of other brokers (not ARGV[1]) whose encoded client id starts
 * with ARGV[2]; ARGV[3] is the key prefix, which the listed names lack. Returns how many.
 */
const FORGET_WILLS = `
local n = 0
for _, k in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local broker, id = string.match(k, '^will:([^:]*):(.*)$')
  if broker and broker ~= ARGV[1] and string.sub(id, 1, #ARGV[2]) == ARGV[2] then
    redis.call('LREM', KEYS[1], 0, k)
    redis.call('DEL', ARGV[3] .. k)
    n = n + 1
  end
end
return n`;

/** The `persistence` and `mq` aedes is built with, and their Redis connections. */
export interface ClusterParts {
  persistence: RedisPersistence;
  mq: ClusterEmitter;
  /**
   * Given the promise of `aedes.close()` (which closes `mq`): waits for it, then, bounded, for Redis
   * to have executed every command aedes sent on the persistence's connection, then destroys the
   * persistence and closes the connections. Safe to call twice.
   */
  close(aedesClosed: Promise<void>): Promise<void>;
  /** After a failed `aedes.listen()`: drops every connection at once. */
  abort(): void;
  /**
   * A gateway is connected at this hub (`ownBrokerId`): drop the Wills that connections of its
   * account (client ids `{username}/…`) left in Redis at other hubs. A live hub publishes the Will of
   * a connection it holds from memory, so only a dead hub's Wills are there; a surviving hub would
   * publish them minutes later (aedes' heartbeat), saying `offline` for a gateway that is back.
   * Resolves with how many were dropped.
   */
  forgetWills(clientIdPrefix: string, ownBrokerId: string): Promise<number>;
}

/** Options of {@link openCluster}. */
export interface ClusterOptions {
  redisUrl: string;
  rootTopic: string;
  logger: Logger;
  /**
   * aedes' `concurrency` when tuned (docs/benchmarks.md, "aedes settings"); else aedes' default, 100,
   * which aedes gives its own emitter too (mqemitter's own default, 0, would be no bound).
   */
  concurrency?: number;
}

/**
 * Opens the three Redis connections (persistence, publish, subscribe) and builds the parts. Call
 * it from the broker's `start()`: ioredis connects as soon as a connection is made.
 */
export function openCluster(options: ClusterOptions): ClusterParts {
  const prefix = `${options.rootTopic}:`;
  const log = options.logger.child({ redis: redactUrl(options.redisUrl) });
  const connect = (role: string, keyPrefix?: string): Redis => {
    const conn = new Redis(options.redisUrl, keyPrefix ? { keyPrefix } : {});
    // ioredis reconnects by itself; an 'error' without a listener would only reach the console.
    conn.on('error', (err: Error) => log.warn({ role, err: err.message }, 'redis connection error; reconnecting'));
    return conn;
  };
  const db = connect('persistence', prefix);
  const pub = connect('publish');
  const sub = connect('subscribe');
  const persistence = createPersistence({ conn: db });
  const mq = new MQEmitterRedisPrefix(prefix, {
    subConn: sub,
    pubConn: pub,
    matchEmptyLevels: true, // [MQTT-4.7.1-3], as aedes' own default emitter
    concurrency: options.concurrency ?? 100,
  });
  // The same errors are logged once per connection above; an unhandled 'error' event on this
  // emitter would end the process at the first refused connection (seen in test/e2e/cluster.test.ts).
  mq.state.on('error', (err) => log.debug({ err: err.message }, 'redis pub/sub error'));
  const abort = (): void => {
    for (const conn of [db, pub, sub]) conn.disconnect();
  };
  let closing: Promise<void> | undefined;
  return {
    persistence,
    mq,
    close: (aedesClosed) =>
      (closing ??= (async () => {
        // With Redis away, aedes' close waits for it forever (the emitter's QUIT, the clients'
        // unsubscribes, all queued by ioredis): past the bound the connections are cut, which ends
        // those waits with errors, so a hub stops within its shutdown timeout.
        const cut = await bounded(aedesClosed, CLOSE_MS).then(
          () => false,
          () => true,
        );
        if (cut) {
          log.warn('redis did not answer while the broker closed; connections cut');
          abort();
          await bounded(aedesClosed, CLOSE_MS).catch(() => undefined);
        }
        // A gateway's Will is deleted as its connection closes, without aedes waiting for it; left
        // in Redis, another hub would publish it as if this hub had died. Redis answers one
        // connection's commands in order, so a PING answered means they were all executed.
        await bounded(db.ping(), FLUSH_MS).catch(() => undefined);
        await bounded(persistence.destroy(), FLUSH_MS).catch((err: unknown) =>
          log.warn({ err }, 'redis persistence did not close cleanly'),
        );
        abort();
      })()),
    abort,
    forgetWills: async (clientIdPrefix, ownBrokerId) =>
      // In Redis, not here: the list holds a key per client with a Will, and this runs at every
      // gateway CONNECT; aedes' own LREM at CONNECT walks the same list there anyway.
      Number(await db.eval(FORGET_WILLS, 1, WILLS, ownBrokerId, encodeURIComponent(clientIdPrefix), prefix)),
  };
}

/** `promise`, or a rejection after `ms`. */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
