/** `GET /api/v1/sites/{site}/kpis` (stored KPI series) and `POST …/kpis/compute` (admin: recompute one period now). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KPI_PERIODS } from '../../config/schema.ts';
import { ID_PATTERN } from '../../config/inventory.ts';
import {
  ALL_BUILDINGS,
  addDays,
  localDate,
  readKpiResults,
  recomputeKpis,
  siteOf,
  startOfDay,
} from '../../kpi/index.ts';
import { SECURED, type RouteOptions } from './options.ts';
import { siteParams } from './sites.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A local day of the site (`YYYY-MM-DD`) or an ISO instant. */
const instant = z
  .string()
  .refine((s) => DATE.test(s) || !Number.isNaN(Date.parse(s)), 'must be a date (YYYY-MM-DD) or an ISO time');
const DEFAULT_DAYS = 31;

export const kpiRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  const { inventory } = deps;
  const now = deps.now ?? Date.now;

  app.get(
    '/api/v1/sites/:site/kpis',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary:
          `KPI series: periods of a kind starting in [from, to) (local dates of the site or ISO times; default the last ` +
          `${DEFAULT_DAYS} days); site-wide, or per building with building=ID (building=* for every building)`,
        tags: ['kpis'],
        security: SECURED,
        params: siteParams,
        querystring: z.object({
          period: z.enum(KPI_PERIODS).default('day'),
          from: instant.optional(),
          to: instant.optional(),
          // Per-building results exist for sorting_coverage and participation_rate of a site with a
          // household roster (src/kpi/README.md, "Rosters"); without `building`, the site-wide ones.
          building: z
            .string()
            .refine((b) => b === ALL_BUILDINGS || ID_PATTERN.test(b), 'must be a building id, or * for every building')
            .optional()
            .describe('a building id for its results, * for every building; omitted: the site-wide results'),
        }),
      },
    },
    async (req) => {
      const site = siteOf(inventory, req.params.site);
      const tz = site.timezone;
      const at = (s: string): number => (DATE.test(s) ? startOfDay(s, tz) : Date.parse(s));
      const t = now();
      const toMs = req.query.to ? at(req.query.to) : startOfDay(addDays(localDate(t, tz), 1), tz);
      const fromMs = req.query.from ? at(req.query.from) : toMs - DEFAULT_DAYS * 86_400_000;
      const results = await readKpiResults(deps.conn, inventory, {
        site: site.id,
        period: req.query.period,
        fromMs,
        toMs,
        ...(req.query.building === undefined ? {} : { building: req.query.building }),
      });
      return {
        site: site.id,
        period: req.query.period,
        ...(req.query.building === undefined ? {} : { building: req.query.building }),
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        results,
      };
    },
  );

  app.post(
    '/api/v1/sites/:site/kpis/compute',
    {
      onRequest: keys.require('admin'),
      schema: {
        summary: 'Compute and store every KPI of one period now (admin key)',
        tags: ['kpis'],
        security: SECURED,
        params: siteParams,
        body: z.object({ period: z.enum(KPI_PERIODS), date: z.string().regex(DATE, 'must be a date YYYY-MM-DD') }),
      },
    },
    async (req) => {
      const site = siteOf(inventory, req.params.site);
      const results = await recomputeKpis(
        {
          conn: deps.conn,
          inventory,
          config: deps.config.kpi,
          evaluation: deps.config.evaluation,
          writer: deps.writer,
          now,
        },
        site.id,
        req.body.period,
        req.body.date,
      );
      return { site: site.id, period: req.body.period, date: req.body.date, results };
    },
  );
};
