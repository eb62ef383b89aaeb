/**
 * `POST /api/v1/ingest/{site}/{gateway}/{device}/{channel}` (docs/contract.md §6): HTTP ingest for
 * gateways without MQTT. HTTP Basic auth as the gateway (username = gateway id, password = its
 * secret; an unknown gateway costs the same check against a decoy hash, as at MQTT CONNECT), and
 * then exactly the MQTT path: `hub.ingest()` with the equivalent topic, so the same normalisers,
 * the same dead letters (the body is kept verbatim: it is read as raw bytes, never parsed here)
 * and the same durability: 202 only once the message is in the spool; 503 with `Retry-After`
 * when it could not be made durable. Bodies over `http.bodyLimit` get 413; bodies between
 * `mqtt.maxPacketBytes` and that become `oversized` dead letters, as over MQTT.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError, isHubError } from '../../errors.ts';
import { decoyForSites, verifySecret } from '../../secret.ts';
import type { RouteOptions } from './options.ts';

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Seconds a gateway is asked to wait before resending a message the hub could not make durable. */
const RETRY_AFTER_S = 5;

const params = z.object({
  site: z.string().regex(ID, 'must be a site id'),
  gateway: z.string().regex(ID, 'must be a gateway id'),
  device: z.string().regex(ID, 'must be a device id'),
  channel: z.enum(['telemetry', 'event']),
});

export const ingestRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  const { inventory, config } = deps;
  const now = deps.now ?? Date.now;

  // Keep the body's bytes as sent (this plugin's scope only): dead letters store payloads verbatim
  // and a body that is not JSON must become a `bad_json` dead letter, not a 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  /** HTTP Basic as the gateway of the path, which must belong to the path's site. */
  async function gatewayAuth(
    req: FastifyRequest<{ Params: z.infer<typeof params> }>,
    reply: FastifyReply,
  ): Promise<void> {
    if (keys.limited(req.ip))
      throw new HubError('HUB_ERR_RATE_LIMITED', 'too many failed credentials; try again in a minute');
    const deny = (message: string): HubError => {
      void reply.header('WWW-Authenticate', 'Basic realm="community-hub", charset="UTF-8"');
      return new HubError('HUB_ERR_UNAUTHORIZED', message);
    };
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) throw deny('send the gateway id and secret as HTTP Basic credentials');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    const gateway = inventory.gateway(user);
    const ok = await verifySecret(password, gateway?.secret ?? decoyForSites(inventory.sites));
    if (!gateway || !ok || gateway.site !== req.params.site || user !== req.params.gateway) {
      keys.failed(req.ip);
      throw deny('the gateway id and secret do not match a gateway of this site and path');
    }
  }

  app.post(
    '/api/v1/ingest/:site/:gateway/:device/:channel',
    {
      preHandler: gatewayAuth,
      schema: {
        summary:
          'HTTP ingest for gateways without MQTT (HTTP Basic: gateway id and secret). The body is what the MQTT payload would be; 202 once durable, with the points accepted and what was kept as dead letters',
        tags: ['ingest'],
        security: [{ gateway: [] }],
        params,
        response: {
          202: z.object({
            accepted: z.number().int(),
            rejected: z.array(z.object({ reason: z.string(), index: z.number().int().optional() })),
          }),
        },
      },
    },
    async (req, reply) => {
      const { site, gateway, device, channel } = req.params;
      const payload = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        const out = await deps.hub.ingest({
          topic: `${config.mqtt.rootTopic}/${site}/${gateway}/${device}/${channel}`,
          site,
          gateway,
          device,
          channel,
          payload,
          receivedAt: now(),
        });
        return await reply.code(202).send({
          accepted: out.points,
          rejected: out.rejects.map(({ reason, index }) => (index === undefined ? { reason } : { reason, index })),
        });
      } catch (e) {
        if (isHubError(e) && e.retryable) void reply.header('Retry-After', String(RETRY_AFTER_S));
        throw e;
      }
    },
  );
};
