/**
 * The run's shared InfluxDB (started by global-setup.ts), for tests that do not stop it.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { InfluxSettings } from '../../src/store/index.ts';
import type { SharedInflux } from './global-setup.ts';

/** The shared server's URL and credentials. */
export function sharedInflux(): SharedInflux {
  return inject('influx');
}

/** Settings for the shared server; `overrides` win (give each test file its own database). */
export function sharedSettings(overrides: Partial<InfluxSettings> = {}): Partial<InfluxSettings> {
  const { url, token, username, password } = sharedInflux();
  return { url, token, username, password, ...overrides };
}

/** A database name no other test uses, e.g. `t_writer_1a2b3c4d`. */
export function uniqueName(prefix: string): string {
  return `t_${prefix}_${randomBytes(4).toString('hex')}`;
}
