/**
 * `POST /api/v1/emqx/authn` and `POST /api/v1/emqx/authz` (docs/contract.md §6): EMQX 5's HTTP
 * authentication and authorisation backends, so an external EMQX enforces the hub's per-gateway
 * rules of docs/contract.md §2 (docs/operations.md, "Behind an external broker").
 *
 * What EMQX expects (docs.emqx.com, EMQX 5, "Access Control > Authentication > Use HTTP Service"
 * and "Authorization > Use HTTP Service"): status 200 with `application/json`; authn
 * `{"result":"allow"|"deny"|"ignore","is_superuser":bool}`, authz `{"result":"allow"|"deny"}`. Any
 * 4xx/5xx is taken as "ignore" (the next authenticator or source decides), which is why the
 * operations guide has EMQX deny what nobody decided (`authorization.no_match = deny`).
 *
 * The secret is checked exactly as at the embedded broker's CONNECT (src/broker/credentials.ts,
 * with the broker's verified-credential cache, which hub.ts shares), and the topic by the same Acl
 * (src/broker/acl.ts). Only a broker key (`http.brokerKeys`) is admitted. A wrong gateway secret
 * is answered `deny` and not counted toward `http.maxAuthFailures`: every request comes from
 * EMQX's address, and counting the gateways' mistakes would lock EMQX itself out.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Acl, type Account } from '../../broker/acl.ts';
import { AuthCache } from '../../broker/auth-cache.ts';
import { checkCredentials } from '../../broker/credentials.ts';
import { rootLevels } from '../../broker/topic.ts';
import { SECURED, type RouteOptions } from './options.ts';

/** EMQX body template: `{"username":"${username}","password":"${password}","clientid":"${clientid}"}`. */
const authnBody = z.object({
  username: z.string(),
  password: z.string().optional(),
  clientid: z.string().optional(),
});

/** EMQX body template: `{"username":"${username}","topic":"${topic}","action":"${action}"}`. */
const authzBody = z.object({
  username: z.string(),
  topic: z.string(),
  action: z.enum(['publish', 'subscribe']),
  clientid: z.string().optional(),
});

export const emqxRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  const { config, inventory } = deps;
  const acl = new Acl(rootLevels(config.mqtt.rootTopic));
  // The embedded broker's verified-credential cache (docs/operations.md, "Authentication cache"),
  // or one like it: EMQX asks on every CONNECT, so a reconnect storm skips scrypt here too.
  const cache =
    deps.authCache ?? new AuthCache({ ttlMs: config.mqtt.authCacheTtl, ...(deps.now ? { now: deps.now } : {}) });

  /** The account an authenticated username acts as now (the inventory may have been reloaded). */
  function accountOf(username: string): Account | undefined {
    const gateway = inventory.gateway(username);
    if (gateway) return { kind: 'gateway', username, site: gateway.site };
    return config.mqtt.observers.some((o) => o.username === username) ? { kind: 'observer', username } : undefined;
  }

  app.post(
    '/api/v1/emqx/authn',
    {
      onRequest: keys.require('broker'),
      schema: {
        summary:
          "EMQX 5 HTTP authentication: the gateway's (or observer's) secret checked as at the hub's own broker (broker key)",
        tags: ['emqx'],
        security: SECURED,
        body: authnBody,
        response: {
          200: z.object({ result: z.enum(['allow', 'deny']), is_superuser: z.literal(false) }),
        },
      },
    },
    async (req) => {
      const { username, password } = req.body;
      const verdict = await checkCredentials(
        { config: config.mqtt, inventory, cache },
        username,
        password === undefined ? undefined : Buffer.from(password, 'utf8'),
      );
      if (!verdict.ok) {
        if (verdict.reason === 'auth_error')
          req.log.error({ err: verdict.error, username }, 'emqx secret check failed');
        else req.log.warn({ username, reason: verdict.reason, clientid: req.body.clientid }, 'emqx authn denied');
        return { result: 'deny' as const, is_superuser: false as const };
      }
      return { result: 'allow' as const, is_superuser: false as const };
    },
  );

  app.post(
    '/api/v1/emqx/authz',
    {
      onRequest: keys.require('broker'),
      schema: {
        summary: "EMQX 5 HTTP authorisation: the hub's topic rules for a publish or subscribe (broker key)",
        tags: ['emqx'],
        security: SECURED,
        body: authzBody,
        response: { 200: z.object({ result: z.enum(['allow', 'deny']) }) },
      },
    },
    async (req) => {
      const { username, topic, action } = req.body;
      const account = accountOf(username);
      const allowed =
        account !== undefined &&
        (action === 'publish' ? acl.publish(account, topic).ok : acl.subscribe(account, topic));
      if (!allowed) req.log.warn({ username, topic, action }, 'emqx authz denied');
      return { result: allowed ? ('allow' as const) : ('deny' as const) };
    },
  );
};
