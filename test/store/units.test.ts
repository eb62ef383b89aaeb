// Pure parts of the store: settings, the 1.x path rewrite, line protocol, error classes, backoff.
import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/errors.ts';
import {
  classifyWriteError,
  DEFAULT_INFLUX_SETTINGS,
  influxApiVersion,
  quoteIdent,
  resolveInfluxSettings,
  retryDelayMs,
  toLineProtocol,
  toV1Path,
  v1Bucket,
} from '../../src/store/index.ts';

describe('settings', () => {
  it('merges overrides over one frozen set of defaults', () => {
    expect(Object.isFrozen(DEFAULT_INFLUX_SETTINGS)).toBe(true);
    const s = resolveInfluxSettings({ url: 'http://127.0.0.1:9999', batchSize: 10, token: undefined });
    expect(s).toMatchObject({
      ...DEFAULT_INFLUX_SETTINGS,
      url: 'http://127.0.0.1:9999',
      batchSize: 10,
      database: 'community',
    });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('selects the 2.x/3.x API by the presence of a token', () => {
    expect(influxApiVersion({})).toBe(1);
    expect(influxApiVersion({ token: '' })).toBe(1);
    expect(influxApiVersion({ token: 't' })).toBe(2);
  });

  it.each([
    [{ url: 'localhost:8086' }, /not http/],
    [{ url: 'nope' }, /not a URL/],
    [{ retention: '90 days' }, /not an InfluxQL duration/],
    [{ batchSize: 0 }, /batchSize/],
    [{ maxRetries: -1 }, /maxRetries/],
    [{ minRetryDelayMs: 500, maxRetryDelayMs: 100 }, /maxRetryDelayMs/],
    [{ password: 'p' }, /without a username/],
  ])('refuses %j', (overrides, message) => {
    expect(() => resolveInfluxSettings(overrides)).toThrow(message);
    expect(() => resolveInfluxSettings(overrides)).toThrow(expect.objectContaining({ code: 'HUB_ERR_CONFIG_INVALID' }));
  });
});

describe('1.x write path', () => {
  it('rewrites the client’s /api/v2/write to /write with db, rp and precision', () => {
    expect(toV1Path(`/api/v2/write?org=&bucket=${encodeURIComponent(v1Bucket('community'))}&precision=ns`)).toBe(
      '/write?db=community&precision=ns',
    );
    expect(toV1Path(`/api/v2/write?org=x&bucket=${encodeURIComponent(v1Bucket('my db', 'a/b'))}&precision=us`)).toBe(
      '/write?db=my+db&rp=a%2Fb&precision=u',
    );
    expect(toV1Path('/query?q=x')).toBe('/query?q=x');
  });

  it('quotes InfluxQL identifiers', () => {
    expect(quoteIdent('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
  });
});

describe('toLineProtocol', () => {
  it('escapes keys and values and writes numbers as floats', () => {
    const line = toLineProtocol({
      measurement: 'bin level',
      tags: { site: 'maple court', 'a=b': 'x,y', empty: '' },
      fields: { fill_pct: 62, ok: true, note: 'say "hi"\\' },
      time: '1764201600000000001',
    });
    expect(line).toBe(
      'bin\\ level,a\\=b=x\\,y,site=maple\\ court fill_pct=62,note="say \\"hi\\"\\\\",ok=T 1764201600000000001',
    );
  });

  it.each([
    [{ fields: {} }, /no fields/],
    [{ fields: { x: Infinity } }, /Infinity/],
    [{ time: '' }, /nanosecond/],
    [{ time: '99999999999999999999' }, /nanosecond|int64/],
    [{ time: '9223372036854775808' }, /int64/],
    [{ measurement: '' }, /empty measurement/],
  ])('refuses %j as HUB_ERR_INFLUX_WRITE_REJECTED', (change, message) => {
    const point = { measurement: 'm', tags: {}, fields: { v: 1 }, time: '1', ...change };
    expect(() => toLineProtocol(point)).toThrow(message);
    expect(() => toLineProtocol(point)).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_INFLUX_WRITE_REJECTED', retryable: false }),
    );
  });
});

describe('classifyWriteError', () => {
  const http = (status: number, body = '{"error":"boom"}') =>
    new HttpError(status, 'x', body, undefined, 'application/json');

  it.each([
    [400, 'HUB_ERR_INFLUX_WRITE_REJECTED', false],
    [413, 'HUB_ERR_INFLUX_WRITE_REJECTED', false],
    [401, 'HUB_ERR_INFLUX_AUTH', false],
    [403, 'HUB_ERR_INFLUX_AUTH', false],
    [404, 'HUB_ERR_INFLUX_UNREACHABLE', true],
    [429, 'HUB_ERR_INFLUX_UNREACHABLE', true],
    [500, 'HUB_ERR_INFLUX_UNREACHABLE', true],
    [501, 'HUB_ERR_INFLUX_UNREACHABLE', true],
    [503, 'HUB_ERR_INFLUX_UNREACHABLE', true],
  ])('HTTP %i → %s (retryable: %s), keeping InfluxDB’s message', (status, code, retryable) => {
    const e = classifyWriteError(http(status));
    expect(e).toMatchObject({ code, retryable });
    expect(e.message).toContain('boom');
  });

  it('treats no answer as retryable HUB_ERR_INFLUX_UNREACHABLE', () => {
    expect(classifyWriteError(new RequestTimedOutError())).toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      retryable: true,
    });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyWriteError(reset).message).toContain('ECONNRESET');
  });

  it('passes a HubError through', () => {
    const e = new HubError('HUB_ERR_WRITER_CLOSED', 'closed');
    expect(classifyWriteError(e)).toBe(e);
  });
});

describe('retryDelayMs', () => {
  const bounds = { minRetryDelayMs: 100, maxRetryDelayMs: 1000 };

  it('doubles from min, with at most half of it random, and never exceeds max', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const full = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 20; i++) {
        const d = retryDelayMs(bounds, attempt);
        expect(d).toBeGreaterThanOrEqual(full / 2);
        expect(d).toBeLessThanOrEqual(full);
      }
    }
  });

  it('waits at least Retry-After (seconds), capped at max', () => {
    const busy = (after: string) =>
      new HttpError(503, 'busy', '', after, 'text/plain', undefined, { 'retry-after': after });
    expect(retryDelayMs({ minRetryDelayMs: 10, maxRetryDelayMs: 5000 }, 1, busy('2'))).toBe(2000);
    expect(retryDelayMs(bounds, 1, new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'x', { cause: busy('60') }))).toBe(1000);
  });
});
