/** `GET /health` (liveness, no key), `GET /ready` (503 when not ready) and `GET /metrics` (Prometheus text). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SECURED, type RouteOptions } from './options.ts';

export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys, metrics }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process answers (no key needed)',
        tags: ['health'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary: 'Readiness: broker listening, spool taking messages, InfluxDB reachability; 503 when not ready',
        tags: ['health'],
        security: SECURED,
      },
    },
    async (_req, reply) => {
      const r = await deps.hub.ready();
      return reply.code(r.ready ? 200 : 503).send(r);
    },
  );

  app.get(
    '/metrics',
    {
      onRequest: keys.require('operator'),
      schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['health'], security: SECURED },
    },
    async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
  );
};
