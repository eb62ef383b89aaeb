/** `GET /api/v1/sites` and `GET /api/v1/sites/{site}/devices`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { siteOf, tagEquals } from '../../kpi/index.ts';
import { query } from '../../store/index.ts';
import { SECURED, type RouteOptions } from './options.ts';

export const siteParams = z.object({ site: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a site id') });

export const siteRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  const { inventory } = deps;
  const now = deps.now ?? Date.now;

  app.get(
    '/api/v1/sites',
    {
      onRequest: keys.require('operator'),
      schema: { summary: 'Sites with household counts and device totals', tags: ['sites'], security: SECURED },
    },
    async () => ({
      sites: inventory.sites.map((s) => {
        const devices = s.gateways.flatMap((g) => g.devices);
        const byType: Record<string, number> = {};
        for (const d of devices) byType[d.type] = (byType[d.type] ?? 0) + 1;
        return {
          id: s.id,
          name: s.name ?? s.id,
          timezone: s.timezone,
          households: s.households,
          buildings: (s.buildings ?? []).map((b) => ({ id: b.id, households: b.households })),
          gateways: s.gateways.length,
          devices: { total: devices.length, byType },
        };
      }),
    }),
  );

  app.get(
    '/api/v1/sites/:site/devices',
    {
      onRequest: keys.require('operator'),
      schema: {
        summary: 'Devices of a site with type, model, last seen and online (heard within http.onlineWindow)',
        tags: ['sites'],
        security: SECURED,
        params: siteParams,
      },
    },
    async (req) => {
      const site = siteOf(inventory, req.params.site);
      const rows = await query(
        deps.conn,
        `SELECT last("heartbeat") FROM "device_health" WHERE ${tagEquals('site', site.id)} GROUP BY "device"`,
        { epoch: 'ms' },
      );
      const lastSeen = new Map<string, number>();
      for (const row of rows) {
        const device = row.tags['device'];
        const t = row.values['time'];
        if (device !== undefined && typeof t === 'number') lastSeen.set(device, t);
      }
      const t = now();
      const window = deps.config.http.onlineWindow;
      return {
        site: site.id,
        onlineWindowMs: window,
        devices: site.gateways.flatMap((g) =>
          g.devices.map((d) => {
            const seen = lastSeen.get(d.id);
            return {
              id: d.id,
              gateway: g.id,
              type: d.type,
              model: d.model,
              building: d.building ?? null,
              lastSeen: seen === undefined ? null : new Date(seen).toISOString(),
              online: seen !== undefined && t - seen <= window,
            };
          }),
        ),
      };
    },
  );
};
