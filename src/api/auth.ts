/**
 * API keys (docs/contract.md §6): `Authorization: Bearer <key>`. Operator keys read; admin keys read
 * and write; broker keys (`http.brokerKeys`) open only the EMQX endpoints an external broker
 * calls, and nothing else, so a broker's config holds no key that reads the hub's data. Keys from
 * the config are stored forms (checked with verifySecret, constant time);
 * a key that verified is remembered briefly as sha256(key) → role so not every request pays an
 * scrypt. The plain HUB_ADMIN_KEY / HUB_OPERATOR_KEY are compared with timingSafeEqual.
 * Wrong keys and wrong gateway secrets of HTTP ingest (each costs scrypts) are counted per client address: past
 * `maxAuthFailures` a minute, 429.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubConfig } from '../config/schema.ts';
import { HubError } from '../errors.ts';
import { verifySecret } from '../secret.ts';

export type Role = 'operator' | 'admin' | 'broker';

/** How long a verified key's role is remembered. */
const CACHE_MS = 5 * 60_000;
const FAILURE_WINDOW_MS = 60_000;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time equality of two strings (their sha256 digests have equal length). */
function sameKey(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export interface KeyChecker {
  /** The role of `key`, or undefined when no key of the config matches. */
  roleOf(key: string): Promise<Role | undefined>;
  /**
   * An onRequest hook admitting keys of `role`: admin also passes an operator route; a broker key
   * passes only a broker route, and only a broker key does.
   */
  require(role: Role): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Count a failed credential (API key or a gateway's Basic secret) of a client address. */
  failed(ip: string): void;
  /** True while an address is past `maxAuthFailures` failures within a minute. */
  limited(ip: string): boolean;
}

export function createKeyChecker(config: HubConfig, now: () => number = Date.now): KeyChecker {
  const { operatorKeys, adminKeys, brokerKeys, maxAuthFailures } = config.http;
  const cache = new Map<string, { role: Role; until: number }>();
  const failures = new Map<string, { count: number; since: number }>();

  async function roleOf(key: string): Promise<Role | undefined> {
    const digest = sha256(key).toString('base64');
    const hit = cache.get(digest);
    if (hit && hit.until > now()) return hit.role;
    cache.delete(digest);
    let role: Role | undefined;
    if (config.adminKey !== undefined && sameKey(key, config.adminKey)) role = 'admin';
    else if (config.operatorKey !== undefined && sameKey(key, config.operatorKey)) role = 'operator';
    else {
      for (const stored of adminKeys) if (!role && (await verifySecret(key, stored))) role = 'admin';
      for (const stored of operatorKeys) if (!role && (await verifySecret(key, stored))) role = 'operator';
      for (const stored of brokerKeys) if (!role && (await verifySecret(key, stored))) role = 'broker';
    }
    if (role) cache.set(digest, { role, until: now() + CACHE_MS });
    return role;
  }

  function failed(ip: string): void {
    const t = now();
    const f = failures.get(ip);
    if (!f || t - f.since > FAILURE_WINDOW_MS) failures.set(ip, { count: 1, since: t });
    else f.count++;
    if (failures.size > 10_000) failures.clear(); // a bound, not a policy
  }

  function limited(ip: string): boolean {
    const f = failures.get(ip);
    return maxAuthFailures > 0 && f !== undefined && now() - f.since <= FAILURE_WINDOW_MS && f.count >= maxAuthFailures;
  }

  return {
    roleOf,
    failed,
    limited,
    require(needed) {
      return async (req) => {
        if (limited(req.ip))
          throw new HubError('HUB_ERR_RATE_LIMITED', 'too many failed API key attempts; try again in a minute');
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m) throw new HubError('HUB_ERR_UNAUTHORIZED', 'send an API key as "Authorization: Bearer <key>"');
        const role = await roleOf(m[1]!);
        if (!role) {
          failed(req.ip);
          throw new HubError('HUB_ERR_UNAUTHORIZED', 'the API key is not known');
        }
        if (needed === 'admin' && role !== 'admin')
          throw new HubError('HUB_ERR_FORBIDDEN', 'this route needs an admin key');
        if ((needed === 'broker') !== (role === 'broker'))
          throw new HubError(
            'HUB_ERR_FORBIDDEN',
            needed === 'broker' ? 'this route needs a broker key' : 'a broker key opens only the EMQX endpoints',
          );
      };
    },
  };
}
