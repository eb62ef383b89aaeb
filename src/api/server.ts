/**
 * The HTTP API (docs/contract.md §6): `buildServer(deps)` returns a fastify instance with every
 * route registered that never listens by itself (hub.ts listens; tests use `app.inject()`).
 * zod schemas validate requests and produce the OpenAPI document at `/docs` (`/docs/json`).
 * Every error answers `{"error":{"code","message"}}` with a stable `HUB_ERR_*` code.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { ERROR_CATALOGUE, isHubError, type ErrorCode, type HubError } from '../errors.ts';
import { createKeyChecker } from './auth.ts';
import { adminRoutes } from './routes/admin.ts';
import type { ApiDeps } from './deps.ts';
import { createMetrics } from './metrics.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { emqxRoutes } from './routes/emqx.ts';
import { evaluationRoutes } from './routes/evaluation.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { kpiRoutes } from './routes/kpis.ts';
import { reportRoutes } from './routes/reports.ts';
import { siteRoutes } from './routes/sites.ts';
import { surveyRoutes } from './routes/surveys.ts';
import type { RouteOptions } from './routes/options.ts';

export type { ApiDeps, ReadinessView, StatsView } from './deps.ts';

/** The error body of every failure. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

const body = (code: ErrorCode, message: string): ErrorBody => ({ error: { code, message } });

/** `HUB_ERR_*` code of a fastify (or plugin) error with a 4xx status. */
function clientCode(status: number): ErrorCode {
  if (status === 404) return 'HUB_ERR_NOT_FOUND';
  if (status === 413) return 'HUB_ERR_PAYLOAD_TOO_LARGE';
  if (status === 429) return 'HUB_ERR_RATE_LIMITED';
  if (status === 401) return 'HUB_ERR_UNAUTHORIZED';
  if (status === 403) return 'HUB_ERR_FORBIDDEN';
  return 'HUB_ERR_VALIDATION';
}

/** Build the API server (not listening). */
export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.http.bodyLimit,
    // While the API closes, a request on a kept-alive connection still reaches its handler (the
    // spool is open until the API has closed: the hub closes the API first) rather than fastify's
    // bare 503 without a HUB_ERR_* code or Retry-After; its answer then closes the connection.
    return503OnClosing: false,
  });
  // A connection busy when the close began would otherwise stay open after its answer until the
  // keep-alive timeout (72 s), holding up the hub's stop beyond shutdown.timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error: FastifyError | HubError, req, reply) => {
    if (isHubError(error)) {
      if (error.status >= 500) req.log.error({ err: error }, 'API request failed');
      return reply.code(error.status).send(body(error.code, error.message));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'request';
      const issues = error.validation.map((v) => {
        const field = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        return `${field}: ${v.message ?? 'invalid'}`;
      });
      return reply.code(400).send(body('HUB_ERR_VALIDATION', issues.join('; ')));
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) return reply.code(status).send(body(clientCode(status), error.message));
    req.log.error({ err: error }, 'API request failed');
    return reply.code(500).send(body('HUB_ERR_INTERNAL', 'an unexpected error; see the hub log'));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(ERROR_CATALOGUE.HUB_ERR_NOT_FOUND.status)
      .send(body('HUB_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`));
  });

  // A few security headers on every answer; the HTML report gets a CSP allowing only its inline style.
  app.addHook('onSend', async (req, reply, payload) => {
    if (closing) void reply.header('Connection', 'close');
    void reply.header('X-Content-Type-Options', 'nosniff');
    void reply.header('Referrer-Policy', 'no-referrer');
    if (!req.url.startsWith('/docs')) {
      void reply.header('X-Frame-Options', 'DENY');
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/html')) {
        void reply.header(
          'Content-Security-Policy',
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        );
      }
    }
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'community-hub',
        version: '1',
        description: 'IoT data hub of smart residential communities (docs/contract.md §6)',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'an operator (read) or admin (read and write) API key; a broker key for the EMQX endpoints only',
          },
          gateway: { type: 'http', scheme: 'basic', description: 'HTTP ingest: the gateway id and its secret' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const opts: RouteOptions = {
    deps,
    keys: createKeyChecker(deps.config, deps.now),
    metrics: createMetrics(() => deps.hub.stats()),
  };
  await app.register(healthRoutes, opts);
  await app.register(siteRoutes, opts);
  await app.register(kpiRoutes, opts);
  await app.register(evaluationRoutes, opts);
  await app.register(reportRoutes, opts);
  await app.register(surveyRoutes, opts);
  await app.register(ingestRoutes, opts);
  await app.register(deadLetterRoutes, opts);
  await app.register(adminRoutes, opts);
  await app.register(emqxRoutes, opts);
  return app;
}
