import { describe, expect, it } from 'vitest';
import { applyEnv, envName, envSettings } from '../../src/config/env.ts';
import { configSchema } from '../../src/config/schema.ts';

describe('environment overrides', () => {
  it('derives variable names from config paths', () => {
    expect(envName(['influx', 'maxInFlight'])).toBe('HUB_INFLUX_MAX_IN_FLIGHT');
    expect(envName(['dataDir'])).toBe('HUB_DATA_DIR');
  });

  it('coerces numbers, booleans, durations and lists, and records where each came from', () => {
    const raw: Record<string, unknown> = { spool: { fsync: true } };
    const from = applyEnv(raw, envSettings(configSchema), {
      HUB_SPOOL_FSYNC: 'false',
      HUB_INFLUX_BATCH_SIZE: '250',
      HUB_INGEST_MAX_AGE: '7d',
      HUB_SPOOL_MAX_BYTES: '1024',
      HUB_HTTP_ADMIN_KEYS: 'a,b',
    });
    expect(raw).toEqual({
      spool: { fsync: false, maxBytes: 1024 },
      influx: { batchSize: 250 },
      ingest: { maxAge: '7d' },
      http: { adminKeys: ['a', 'b'] },
    });
    expect(from.get('spool.fsync')).toBe('HUB_SPOOL_FSYNC');
    const parsed = configSchema.parse({ ...raw, pseudonymKey: 'x'.repeat(16), http: {} });
    expect(parsed.ingest.maxAge).toBe(7 * 86_400_000);
  });
});
