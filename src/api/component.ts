/**
 * The HTTP API as a component of the hub (docs/architecture.md, "Lifecycle"): `start()` builds the
 * server (src/api/server.ts) and listens; it is the last component, since it answers `/ready`.
 * `stop()` closes it first of all: requests in flight get their answer (each then closes its
 * connection), and a client that never reads its answer is cut off at the shutdown deadline.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HubError } from '../errors.ts';
import type { Component, StopContext } from '../lifecycle.ts';
import { settlesBy } from '../lifecycle.ts';
import type { InfluxPointWriter, InfluxStore } from '../store/index.ts';
import type { ApiDeps } from './deps.ts';
import { buildServer } from './server.ts';

export interface ApiServerOptions extends Omit<ApiDeps, 'conn' | 'writer'> {
  /** Queries, and the writer of `POST …/kpis/compute`. */
  influx: Pick<InfluxStore, 'connection' | 'writer'>;
}

/** See the file comment. */
export class ApiServer implements Component {
  readonly name = 'http api';
  readonly #o: ApiServerOptions;
  #app: FastifyInstance | undefined;
  #writer: InfluxPointWriter | undefined;
  #port: number | undefined;

  constructor(options: ApiServerOptions) {
    this.#o = options;
  }

  /** The port bound; undefined while not listening. */
  port(): number | undefined {
    return this.#port;
  }

  async start(): Promise<void> {
    const { influx, ...deps } = this.#o;
    this.#writer = influx.writer();
    const app = (this.#app = await buildServer({ ...deps, conn: influx.connection(), writer: this.#writer }));
    const { host, port } = deps.config.http;
    try {
      await app.listen({ host, port });
    } catch (e) {
      throw new HubError('HUB_ERR_LISTEN', `the HTTP API cannot listen on ${host}:${port}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.#port = (app.server.address() as AddressInfo).port;
  }

  async stop({ deadline }: StopContext): Promise<void> {
    const app = this.#app;
    if (app) {
      const closed = app.close();
      if (!(await settlesBy(closed, deadline))) {
        this.#o.logger.warn('HTTP requests still open at shutdown; their connections are closed');
        app.server.closeAllConnections();
        await closed.catch((err: unknown) => this.#o.logger.warn({ err }, 'closing the HTTP API failed'));
      }
    }
    this.#port = undefined;
    if (this.#writer) await settlesBy(this.#writer.close(), deadline);
  }
}
