import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInflux, ensureDatabase, InfluxPointWriter, query } from '../../src/store/index.ts';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import { binLevel } from './point-writer.contract.ts';

// A private 1.x server with [http] auth-enabled = true: user/password travel as HTTP Basic.
describe('1.x with authentication (private server)', () => {
  let server: InfluxServer;
  beforeAll(async () => {
    server = await startInflux({ auth: true });
    // With no user yet, 1.x accepts exactly this statement without credentials
    // (docs.influxdata.com/influxdb/v1.6/administration/authentication_and_authorization/).
    await query(connectInflux({ url: server.url }), `CREATE USER "hub" WITH PASSWORD 's3cret' WITH ALL PRIVILEGES`, {
      database: '',
    });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('creates the database, writes and reads with the right credentials', async () => {
    const conn = connectInflux({ url: server.url, database: 'community', username: 'hub', password: 's3cret' });
    await ensureDatabase(conn);
    const writer = new InfluxPointWriter(conn);
    await writer.write([binLevel('bin_level', 1), binLevel('bin_level', 2)]);
    await writer.close();
    const rows = await query(conn, 'SELECT count(seq) FROM bin_level');
    expect(rows[0]?.values['count']).toBe(2);
  });

  it('rejects a write with wrong credentials as HUB_ERR_INFLUX_AUTH, without retrying', async () => {
    const conn = connectInflux({
      url: server.url,
      database: 'community',
      username: 'hub',
      password: 'wrong',
      maxRetries: 3,
    });
    const writer = new InfluxPointWriter(conn);
    await expect(writer.write([binLevel('bin_level', 3)])).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_AUTH',
      retryable: false,
      message: expect.stringMatching(/401.*authorization failed/),
    });
    expect(writer.stats()).toMatchObject({ retries: 0, failures: { HUB_ERR_INFLUX_AUTH: 1 } });
    await writer.close();
  });

  it('rejects a query without credentials as HUB_ERR_INFLUX_AUTH', async () => {
    await expect(query(connectInflux({ url: server.url }), 'SHOW DATABASES')).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_AUTH',
    });
  });
});
