import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectInflux,
  ensureDatabase,
  InfluxPointWriter,
  ping,
  query,
  rfc3339ToNs,
  type InfluxConnection,
} from '../../src/store/index.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';

const database = uniqueName('query');
let conn: InfluxConnection;
// Two events 1 ns apart, beyond 2^53 ns: JSON numbers could not tell them apart.
const T1 = '1764201600123456789';
const T2 = '1764201600123456790';

beforeAll(async () => {
  conn = connectInflux(sharedSettings({ database }));
  await ensureDatabase(conn);
  const writer = new InfluxPointWriter(conn);
  await writer.write([
    {
      measurement: 'deposit',
      tags: { site: 'a', sorting: 'correct' },
      fields: { weight_kg: 1.5, event_id: 'e-1' },
      time: T1,
    },
    {
      measurement: 'deposit',
      tags: { site: 'a', sorting: 'incorrect' },
      fields: { weight_kg: 2, event_id: 'e-2' },
      time: T2,
    },
    {
      measurement: 'deposit',
      tags: { site: 'b', sorting: 'correct' },
      fields: { weight_kg: 4, event_id: 'e-3' },
      time: T2,
    },
  ]);
  await writer.close();
});

describe('query', () => {
  it('flattens series into rows with exact nanosecond times', async () => {
    const rows = await query<{ time: string; weight_kg: number; event_id: string }>(
      conn,
      `SELECT weight_kg, event_id FROM deposit WHERE site = 'a'`,
    );
    expect(rows).toEqual([
      { statement: 0, measurement: 'deposit', tags: {}, values: { time: T1, weight_kg: 1.5, event_id: 'e-1' } },
      { statement: 0, measurement: 'deposit', tags: {}, values: { time: T2, weight_kg: 2, event_id: 'e-2' } },
    ]);
  });

  it('puts GROUP BY tags on each row, and binds $parameters', async () => {
    const rows = await query<{ time: number; n: number }>(
      conn,
      'SELECT count(weight_kg) AS n FROM deposit WHERE sorting = $s GROUP BY site',
      {
        params: { s: 'correct' },
        epoch: 'ms',
      },
    );
    expect(rows.map((r) => [r.tags['site'], r.values.n, r.values.time])).toEqual([
      ['a', 1, 0],
      ['b', 1, 0],
    ]);
  });

  it('answers GET as POST, with RFC3339 times on request, and numbers rows by statement', async () => {
    const rows = await query(conn, ['SELECT sum(weight_kg) FROM deposit', 'SELECT count(event_id) FROM deposit'], {
      method: 'GET',
      epoch: 'rfc3339',
    });
    expect(rows.map((r) => [r.statement, r.values])).toEqual([
      [0, { time: '1970-01-01T00:00:00Z', sum: 7.5 }],
      [1, { time: '1970-01-01T00:00:00Z', count: 3 }],
    ]);
  });

  it('throws HUB_ERR_INFLUX_QUERY with InfluxDB’s text for a refused query or statement', async () => {
    await expect(query(conn, 'SELEC * FROM deposit')).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_QUERY',
      retryable: false,
      message: expect.stringMatching(/error parsing query: found SELEC/),
    });
    await expect(query(conn, 'SELECT * FROM deposit', { database: uniqueName('none') })).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_QUERY',
      message: expect.stringMatching(/database not found/),
    });
  });

  it('refuses several statements joined in one string (their count tells a whole answer from a cut one)', async () => {
    await expect(
      query(conn, 'SELECT sum(weight_kg) FROM deposit; SELECT count(event_id) FROM deposit'),
    ).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_QUERY',
      message: expect.stringMatching(/pass several statements as an array/),
    });
  });

  it('throws HUB_ERR_INFLUX_UNREACHABLE when nothing answers', async () => {
    const dead = connectInflux({ url: await deadUrl() });
    await expect(query(dead, 'SHOW DATABASES')).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      retryable: true,
    });
  });
});

describe('ping', () => {
  it('reports the server version when it answers', async () => {
    const result = await ping(conn);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.version).toMatch(/^\d+\.\d+/);
  });

  it('reports HUB_ERR_INFLUX_UNREACHABLE without throwing when nothing answers', async () => {
    const result = await ping(connectInflux({ url: await deadUrl() }));
    expect(result).toMatchObject({ ok: false, error: { code: 'HUB_ERR_INFLUX_UNREACHABLE' } });
  });
});

describe('rfc3339ToNs', () => {
  it('converts InfluxDB times to exact nanoseconds', () => {
    expect(rfc3339ToNs('2025-11-27T00:00:00.123456789Z')).toBe(T1);
    expect(rfc3339ToNs('2025-11-27T00:00:00.12Z')).toBe('1764201600120000000');
    expect(rfc3339ToNs('1970-01-01T00:00:00Z')).toBe('0');
    expect(rfc3339ToNs('1969-12-31T23:59:59.5Z')).toBe('-500000000');
    expect(() => rfc3339ToNs('yesterday')).toThrow(/unexpected time/);
  });
});
