import { describe, expect, it } from 'vitest';
import { connectInflux, ensureDatabase, query, type InfluxSettings } from '../../src/store/index.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';

const connect = (overrides: Partial<InfluxSettings>) => connectInflux(sharedSettings(overrides));

async function databases(settings: Partial<InfluxSettings>): Promise<string[]> {
  const rows = await query<{ name: string }>(connect(settings), 'SHOW DATABASES', { database: '' });
  return rows.map((r) => r.values.name);
}

async function policies(settings: Partial<InfluxSettings>, db: string) {
  const rows = await query<{ name: string; duration: string; default: boolean }>(
    connect(settings),
    `SHOW RETENTION POLICIES ON "${db}"`,
    {
      database: '',
    },
  );
  return rows.map((r) => ({ name: r.values.name, duration: r.values.duration, default: r.values.default }));
}

describe('ensureDatabase (1.x)', () => {
  it('creates a missing database with the configured retention, once', async () => {
    const database = uniqueName('db');
    const conn = connect({ database, retention: '90d' });
    expect(await databases({})).not.toContain(database);

    expect(await ensureDatabase(conn)).toEqual({ databaseCreated: true, retentionPolicyCreated: false });
    expect(await databases({})).toContain(database);
    expect(await policies({}, database)).toEqual([{ name: 'autogen', duration: '2160h0m0s', default: true }]);

    expect(await ensureDatabase(conn)).toEqual({ databaseCreated: false, retentionPolicyCreated: false });
  });

  it('creates a missing database with the named retention policy as its default', async () => {
    const database = uniqueName('dbrp');
    const conn = connect({ database, retentionPolicy: 'hub', retention: '0s' });
    expect(await ensureDatabase(conn)).toEqual({ databaseCreated: true, retentionPolicyCreated: true });
    expect(await policies({}, database)).toEqual([{ name: 'hub', duration: '0s', default: true }]);
  });

  it('adds a missing retention policy to an existing database without making it the default', async () => {
    const database = uniqueName('dbadd');
    await ensureDatabase(connect({ database }));
    const conn = connect({ database, retentionPolicy: 'weekly "rp"', retention: '2w' });
    expect(await ensureDatabase(conn)).toEqual({ databaseCreated: false, retentionPolicyCreated: true });
    expect(await policies({}, database)).toEqual([
      { name: 'autogen', duration: '0s', default: true },
      { name: 'weekly "rp"', duration: '336h0m0s', default: false },
    ]);
    expect(await ensureDatabase(conn)).toEqual({ databaseCreated: false, retentionPolicyCreated: false });
  });

  it('does nothing for a 2.x/3.x server (buckets belong to their administrator)', async () => {
    const conn = connect({ database: uniqueName('v2'), token: 'not-used' });
    expect(await ensureDatabase(conn)).toEqual({ databaseCreated: false, retentionPolicyCreated: false });
  });
});
