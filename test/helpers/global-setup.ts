/**
 * vitest globalSetup: one InfluxDB for the whole run. With HUB_INFLUX_URL set (plus
 * HUB_INFLUX_TOKEN, or HUB_INFLUX_USERNAME/HUB_INFLUX_PASSWORD) that server is used as is;
 * otherwise a private influxd is started by scripts/influxdb.sh and stopped at teardown.
 * Tests read it with `inject('influx')` (or `sharedInflux()` from influx-shared.ts).
 *
 * It also creates the run's temporary root (temp-root.ts: TMPDIR for the tests and all they spawn)
 * before anything else, and at teardown fails the run, naming them, if temporary files were left.
 */
import type { TestProject } from 'vitest/node';
import { startInflux, type InfluxServer } from './influx.ts';
import { createTempRoot } from './temp-root.ts';

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
  const root = createTempRoot();
  const env = process.env;
  const external = env['HUB_INFLUX_URL'];
  if (!external)
    server = await startInflux().catch((e: unknown) => {
      root.finish();
      throw e;
    });
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
    const { inRoot, outside } = root.finish();
    const strict = env['COMMUNITY_HUB_TEST_TMP_STRICT'] === '1';
    const left = strict ? [...inRoot, ...outside] : inRoot;
    if (!strict && outside.length > 0)
      console.warn(
        `new entries in the OS temp directory with the test suite's names (another test run's, or a test that ` +
          `ignores TMPDIR; COMMUNITY_HUB_TEST_TMP_STRICT=1 fails on them):\n${outside.join('\n')}`,
      );
    if (left.length > 0)
      throw new Error(
        `the tests left ${left.length} temporary file(s) or folder(s) (the run's root is removed now; a test must ` +
          `remove what it creates):\n${left.join('\n')}`,
      );
  };
}
