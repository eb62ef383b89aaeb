/** `GET /api/v1/sites/{site}/evaluation/payback`: the funding and payback picture (docs/contract.md §5, §6). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MONTH_PATTERN } from '../../config/inventory.ts';
import { readPayback } from '../../kpi/index.ts';
import { SECURED, type RouteOptions } from './options.ts';
import { siteParams } from './sites.ts';

const month = z.string().regex(MONTH_PATTERN, 'must be a month YYYY-MM such as 2026-09');

export const evaluationRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  app.get(
    '/api/v1/sites/:site/evaluation/payback',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary:
          'Funding and payback: revenue, net and cumulative net per site-local month since the payback clock ' +
          'started, against the social-capital investment; the month it was recovered or the projected one. ' +
          'from/to (YYYY-MM, both included) only narrow the months listed',
        tags: ['evaluation'],
        security: SECURED,
        params: siteParams,
        querystring: z
          .object({ from: month.optional(), to: month.optional() })
          .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
            message: 'from must not be after to',
            path: ['from'],
          }),
      },
    },
    async (req) =>
      readPayback(
        {
          conn: deps.conn,
          inventory: deps.inventory,
          config: deps.config.evaluation,
          ...(deps.now ? { now: deps.now } : {}),
        },
        req.params.site,
        { from: req.query.from, to: req.query.to },
      ),
  );
};
