/**
 * `GET /api/v1/dead-letters` (operator: stored dead letters, newest first, payloads as stored) and
 * `POST /api/v1/dead-letters/replay` (admin: re-run dead letters through the current normalisers
 * after a model fix; see Ingest.replay). Replayed points land on the keys a first success would
 * have written, so replaying twice overwrites rather than duplicates; a replayed dead letter stays
 * in the store (it ages out with the others) and is not marked.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SECURED, type RouteOptions } from './options.ts';

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO time');
const MAX_LIMIT = 10_000;

/** Filters of both routes: arrival in [from, to). */
const filter = z.object({
  reason: z
    .string()
    .regex(/^[a-z_]{1,64}$/, 'must be a dead-letter reason')
    .optional(),
  site: z.string().regex(ID, 'must be a site id').optional(),
  gateway: z.string().regex(ID, 'must be a gateway id').optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100),
});

const deadLetter = z.object({
  id: z.string(),
  topic: z.string(),
  site: z.string().optional(),
  gateway: z.string().optional(),
  device: z.string().optional(),
  channel: z.string().optional(),
  receivedAt: z.string(),
  rejects: z.array(z.object({ reason: z.string(), detail: z.string(), index: z.number().int().optional() })),
  payload: z.string(),
  encoding: z.enum(['utf8', 'base64']),
});

function toFilter(q: z.infer<typeof filter>): {
  reason?: string;
  site?: string;
  gateway?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
} {
  return {
    ...(q.reason === undefined ? {} : { reason: q.reason }),
    ...(q.site === undefined ? {} : { site: q.site }),
    ...(q.gateway === undefined ? {} : { gateway: q.gateway }),
    ...(q.from === undefined ? {} : { fromMs: Date.parse(q.from) }),
    ...(q.to === undefined ? {} : { toMs: Date.parse(q.to) }),
    limit: q.limit,
  };
}

export const deadLetterRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  app.get(
    '/api/v1/dead-letters',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary: 'Stored dead letters, newest first, filtered by reason, site, gateway and arrival in [from, to)',
        tags: ['dead-letters'],
        security: SECURED,
        querystring: filter,
        response: { 200: z.object({ deadLetters: z.array(deadLetter) }) },
      },
    },
    async (req) => {
      const list = await deps.hub.deadLetters(toFilter(req.query));
      return { deadLetters: list.map((dl) => ({ ...dl, receivedAt: new Date(dl.receivedAt).toISOString() })) };
    },
  );

  app.post(
    '/api/v1/dead-letters/replay',
    {
      onRequest: keys.require('admin'),
      schema: {
        summary:
          'Replay dead letters (the ids given, else those matching the filters) through the current device models (admin key)',
        tags: ['dead-letters'],
        security: SECURED,
        body: filter.extend({ ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_LIMIT).optional() }),
        response: {
          200: z.object({
            replayed: z.array(
              z.object({
                id: z.string(),
                points: z.number().int(),
                stillRejected: z.array(z.object({ reason: z.string(), index: z.number().int().optional() })),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { ids, ...rest } = req.body;
      return { replayed: await deps.hub.replay({ ...toFilter(rest), ...(ids ? { ids } : {}) }) };
    },
  );
};
