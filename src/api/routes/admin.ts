/**
 * `POST /api/v1/admin/reload` (admin key): load the inventory file again, check it as a start does
 * and put it in force without a restart (docs/operations.md, "Reloading the inventory"); what
 * SIGHUP does. An invalid file keeps the running inventory: 422 `HUB_ERR_INVENTORY_INVALID` naming
 * the problem.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError } from '../../errors.ts';
import { SECURED, type RouteOptions } from './options.ts';

export const adminRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, keys }) => {
  app.post(
    '/api/v1/admin/reload',
    {
      onRequest: keys.require('admin'),
      schema: {
        summary: 'Reload the inventory file (and what it names) without a restart (admin key)',
        tags: ['admin'],
        security: SECURED,
        response: {
          200: z.object({
            reloaded: z.literal(true),
            inventory: z.object({
              hash: z.string(),
              sites: z.number().int(),
              gateways: z.number().int(),
              devices: z.number().int(),
            }),
            disconnected: z.array(z.string()),
          }),
        },
      },
    },
    async () => {
      const reload = deps.hub.reload;
      if (!reload) throw new HubError('HUB_ERR_NOT_FOUND', 'this hub cannot reload its inventory');
      return reload.call(deps.hub);
    },
  );
};
