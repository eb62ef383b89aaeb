import { defineConfig } from 'vitest/config';

// One InfluxDB server (real, private, on loopback) is started for the whole run by the global
// setup, unless HUB_INFLUX_URL points at one already (DEVELOPERS.md: real parts, no mocks).
export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration tests start servers and processes; keep parallelism modest.
    maxWorkers: 2,
  },
});
