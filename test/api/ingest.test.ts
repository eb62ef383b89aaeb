/**
 * HTTP ingest (docs/contract.md §6) over the hub's listening socket with `fetch`: every golden
 * fixture of every model (devices/<type>/<model>/fixtures/<case>/, walked as test/e2e/fixtures.test.ts
 * does) POSTed as the gateway must end as exactly the fixture's points in InfluxDB and its rejects
 * as one dead letter holding the body verbatim — what MQTT ingest gives. Then the route's own
 * rules: HTTP Basic as a gateway of the path's site (401 with `WWW-Authenticate` otherwise, counted
 * toward the auth-failure limit), the channel validated (400), bad JSON a 202 with a `bad_json`
 * dead letter, a body over mqtt.maxPacketBytes an `oversized` dead letter and one over
 * http.bodyLimit a 413.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInflux } from '../../src/store/index.ts';
import { expectation, fixtureInput, modelFixtures, stampedFirst } from '../helpers/fixtures.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import {
  canonical,
  deadLetters,
  drained,
  dropDatabase,
  EAST,
  FIXTURE,
  newDeadLetters,
  startHub,
  storedPoints,
  WEST,
  wipe,
  type E2eHub,
} from '../e2e/helpers.ts';

const DATABASE = uniqueName('api_ingest');

// Cases arrive in one millisecond of the hub's stopped clock: the one stamped on arrival first.
const models = modelFixtures().map((m) => ({ ...m, cases: stampedFirst(`${m.type}/${m.model}`, m.cases) }));

const basic = ([user, secret]: [string, string]): string =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

/** POST a body to the ingest route of the hub's listening socket. */
function post(h: E2eHub, path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.httpUrl}/api/v1/ingest/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}
const devicePath = (
  channel: string,
  gateway: string = FIXTURE.gateway,
  device: string = FIXTURE.device,
  site: string = FIXTURE.site,
): string => `${site}/${gateway}/${device}/${channel}`;

afterAll(async () => {
  await dropDatabase(connectInflux(sharedSettings({ database: DATABASE })));
});

it('finds fixtures of every model', () => {
  expect(models.length).toBeGreaterThanOrEqual(4);
});

describe.each(models)('$type/$model fixtures through HTTP ingest, the hub and InfluxDB', ({ type, model, cases }) => {
  let h: E2eHub;
  beforeAll(async () => {
    h = await startHub({ database: DATABASE, east: [{ id: FIXTURE.device, type, model, building: FIXTURE.building }] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it.each(cases)('$name', async ({ dir }) => {
    const input = fixtureInput(dir);
    const receivedAt = input.receivedAt ?? FIXTURE.receivedAt;
    const text = input.raw ?? JSON.stringify(input.payload);
    const want = expectation(dir);
    h.clock.set(input.now ?? receivedAt);
    await wipe(h.conn);
    const before = await deadLetters(h);

    const r = await post(h, devicePath(input.channel), text, { authorization: basic(EAST) });
    expect(r.status).toBe(202);
    const answer = (await r.json()) as { accepted: number; rejected: { reason: string; index?: number }[] };
    expect(answer.rejected).toEqual(
      want.rejects.map((w) => (w.index === undefined ? { reason: w.reason } : { reason: w.reason, index: w.index })),
    );

    await drained(h);
    expect(canonical(await storedPoints(h.conn))).toEqual(canonical(want.points));
    const added = await newDeadLetters(h, before);
    if (want.rejects.length === 0) {
      expect(added).toEqual([]);
      return;
    }
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      topic: `community/v1/${devicePath(input.channel)}`,
      site: FIXTURE.site,
      gateway: FIXTURE.gateway,
      device: FIXTURE.device,
      channel: input.channel,
      receivedAt: Date.parse(receivedAt),
    });
    expect(added[0]!.payload).toBe(text); // verbatim
  });
});

describe('the ingest route', () => {
  let h: E2eHub;
  const bin = '{"fillLevel":42,"weightKg":1.5}';
  beforeAll(async () => {
    h = await startHub({
      database: DATABASE,
      east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
      west: [{ id: 'bin-02', type: 'waste-bin', model: 'generic-v1', building: 'b2' }],
      mqtt: { maxPacketBytes: '1KiB' },
      http: { bodyLimit: '4KiB', maxAuthFailures: 4 },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 401 with WWW-Authenticate without credentials, with a wrong secret, or for a gateway of another path or site', async () => {
    const cases: [string, Record<string, string>][] = [
      [devicePath('telemetry', 'gw-east', 'bin-01'), {}],
      [devicePath('telemetry', 'gw-east', 'bin-01'), { authorization: basic(['gw-east', 'not-the-secret']) }],
      [devicePath('telemetry', 'gw-east', 'bin-01'), { authorization: basic(WEST) }],
      [devicePath('telemetry', 'gw-east', 'bin-01', 'other-site'), { authorization: basic(EAST) }],
    ];
    for (const [path, headers] of cases) {
      const r = await post(h, path, bin, headers);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_UNAUTHORIZED');
    }
  });

  it('counts failed secrets toward the auth-failure limit (429)', async () => {
    // The previous test failed three credentials (the missing one is not counted); one more reaches 4.
    await post(h, devicePath('telemetry', 'gw-east', 'bin-01'), bin, { authorization: basic(['gw-east', 'wrong']) });
    const r = await post(h, devicePath('telemetry', 'gw-east', 'bin-01'), bin, { authorization: basic(EAST) });
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_RATE_LIMITED');
  });
});

describe('the ingest route, validation and payloads', () => {
  let h: E2eHub;
  beforeAll(async () => {
    h = await startHub({
      database: DATABASE,
      east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
      mqtt: { maxPacketBytes: '1KiB' },
      http: { bodyLimit: '4KiB' },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 400 for a channel that is not telemetry or event', async () => {
    const r = await post(h, devicePath('status', 'gw-east', 'bin-01'), 'online', { authorization: basic(EAST) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_VALIDATION');
  });

  it('keeps bad JSON as a bad_json dead letter, verbatim, and answers 202', async () => {
    const before = await deadLetters(h);
    const text = '{"fillLevel": 4';
    const r = await post(h, devicePath('telemetry', 'gw-east', 'bin-01'), text, {
      authorization: basic(EAST),
      'content-type': 'text/plain',
    });
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ accepted: 0, rejected: [{ reason: 'bad_json' }] });
    const added = await newDeadLetters(h, before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      topic: 'community/v1/maple-court/gw-east/bin-01/telemetry',
      payload: text,
      encoding: 'utf8',
      rejects: [{ reason: 'bad_json' }],
    });
  });

  it('dead-letters a body over mqtt.maxPacketBytes as oversized and refuses one over http.bodyLimit with 413', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2000) });
    const r = await post(h, devicePath('telemetry', 'gw-east', 'bin-01'), big, { authorization: basic(EAST) });
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ accepted: 0, rejected: [{ reason: 'oversized' }] });
    const huge = await post(
      h,
      devicePath('telemetry', 'gw-east', 'bin-01'),
      JSON.stringify({ pad: 'x'.repeat(5000) }),
      { authorization: basic(EAST) },
    );
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_PAYLOAD_TOO_LARGE');
  });
});
