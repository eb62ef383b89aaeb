/**
 * vitest globalSetup: one InfluxDB for the whole run. With HUB_INFLUX_URL set (plus
 * HUB_INFLUX_TOKEN, or HUB_INFLUX_USERNAME/HUB_INFLUX_PASSWORD) that server is used as is;
 * otherwise a private influxd is started by scripts/influxdb.sh and stopped at teardown.
 * Tests read it with `inject('influx')` (or `sharedInflux()` from influx-shared.ts).
 */
import type { TestProject } from 'vitest/node';
import { startInflux, type InfluxServer } from './influx.ts';

/** The run's InfluxDB, as provided to tests. */
export interface SharedInflux {
  url: string;
  token?: string;
  username?: string;
  password?: string;
  /** True when this run started the server (a private, disposable 1.x). */
  managed: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    influx: SharedInflux;
  }
}

let server: InfluxServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  const external = env['HUB_INFLUX_URL'];
  if (!external) server = await startInflux();
  const shared: SharedInflux = { url: external || (server?.url ?? ''), managed: !external };
  if (external) {
    if (env['HUB_INFLUX_TOKEN']) shared.token = env['HUB_INFLUX_TOKEN'];
    if (env['HUB_INFLUX_USERNAME']) shared.username = env['HUB_INFLUX_USERNAME'];
    if (env['HUB_INFLUX_PASSWORD']) shared.password = env['HUB_INFLUX_PASSWORD'];
  }
  project.provide('influx', shared);
  return async () => {
    await server?.destroy();
    server = undefined;
  };
}
