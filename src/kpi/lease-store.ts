/**
 * Where the KPI lease lives (docs/operations.md, "Several hubs: one KPI scheduler"): three
 * commands on one Redis key, each atomic on the server, so two hubs can never both believe a
 * command gave them the lease. {@link openRedisLeaseStore} speaks them to Redis with ioredis;
 * unit tests use an in-memory store with the same contract (test/kpi/lease-contract.ts).
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';

/** The lease's commands; every method rejects when the store cannot be reached. */
export interface LeaseStore {
  /** `SET key owner NX PX ttl`: true when this call took the free key. */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Compare-and-extend: the key's TTL becomes `ttlMs` only while its value is `owner`. */
  extend(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Compare-and-delete: the key goes only while its value is `owner` (never another's lease). */
  release(key: string, owner: string): Promise<boolean>;
  /** `SADD`: adds `members` to the set at `key` (the late-data marks handed to the holder). */
  addMembers(key: string, members: readonly string[]): Promise<void>;
  /** `SPOP key count`: removes and returns at most `count` members of the set. */
  popMembers(key: string, count: number): Promise<string[]>;
  /** The current owner; null when nobody holds the key. */
  holder(key: string): Promise<string | null>;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
}

/** GET and PEXPIRE in one script: between a plain GET and PEXPIRE the key may change hands. */
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** GET and DEL in one script, for the same reason. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** What {@link openRedisLeaseStore} needs. */
export interface RedisLeaseStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (`cluster.redisUrl`). */
  url: string;
  /**
   * Longest one command or connection attempt may take (ms). The lease gives this a third of its
   * TTL, so an answer that comes later finds the lease already counted as lost.
   */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Connects to Redis (waiting at most `timeoutMs` for the first connection; an unreachable Redis is
 * logged, never thrown: ioredis keeps reconnecting and the lease keeps trying).
 */
export async function openRedisLeaseStore(o: RedisLeaseStoreOptions): Promise<LeaseStore> {
  const client = new Redis(o.url, {
    lazyConnect: true,
    // Fail at once while disconnected rather than queue: a queued renewal sent late would extend a
    // lease the hub already counts as lost.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: o.timeoutMs,
    commandTimeout: o.timeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let reachable = true;
  // ioredis reports every failed reconnect; one log line per outage is enough.
  client.on('error', (err: Error) => {
    if (!reachable) return;
    reachable = false;
    o.logger.warn({ err: err.message }, 'Redis of the KPI lease unreachable; reconnecting');
  });
  client.on('ready', () => {
    if (!reachable) o.logger.info('Redis of the KPI lease reachable again');
    reachable = true;
  });
  await client.connect().catch(() => undefined); // logged by the 'error' handler
  let closed = false;
  return {
    async acquire(key, owner, ttlMs) {
      return (await client.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async extend(key, owner, ttlMs) {
      return (await client.eval(EXTEND, 1, key, owner, String(ttlMs))) === 1;
    },
    async release(key, owner) {
      return (await client.eval(RELEASE, 1, key, owner)) === 1;
    },
    async addMembers(key, members) {
      if (members.length > 0) await client.sadd(key, ...members);
    },
    popMembers: (key, count) => client.spop(key, count),
    holder: (key) => client.get(key),
    async close() {
      if (closed) return;
      closed = true;
      // QUIT waits for the server's answer; a down server would never give one.
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
