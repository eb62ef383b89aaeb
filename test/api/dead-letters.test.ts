/**
 * `GET /api/v1/dead-letters` and `POST /api/v1/dead-letters/replay` over the hub's listening
 * socket: a hub whose waste-bin/generic-v1 model is a "broken" test double (it throws for one
 * event) dead-letters that element of an array sent through HTTP ingest; the list route finds it
 * by its filters; the double is swapped for the real model ("the fix"), an admin replays, and the
 * element's points are in InfluxDB exactly as a first success would have written them — twice
 * replayed, still once. An operator key may list but not replay (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/deadletters/store.ts';
import { createNormaliser, loadRegistry, type DeviceModel, type ModelLookup } from '../../src/normalise/index.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  canonical,
  drained,
  dropDatabase,
  EAST,
  FIXTURE,
  startHub,
  storedPoints,
  type E2eHub,
} from '../e2e/helpers.ts';

const KEYS = { admin: 'dead-letter-admin-key-0123456789', operator: 'dead-letter-operator-key-0123456789' };
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const event = (id: string, household: string): Record<string, unknown> => ({
  id,
  ts: '2026-11-27T08:02:00+08:00',
  type: 'deposit',
  household,
  category: 'recyclable',
  weight: 0.4,
  sorting: 'correct',
  auth: 'qr',
});
const PAYLOAD = JSON.stringify([
  event('e-000301', 'H-1-0101'),
  event('e-000302', 'H-1-0102'),
  event('e-000303', 'H-1-0103'),
]);

let h: E2eHub;
/** While true, waste-bin/generic-v1 is the broken double. */
let broken = true;

function withBrokenBin(registry: ModelLookup): ModelLookup {
  return {
    get(type, model) {
      const real = registry.get(type, model);
      if (!broken || !real || type !== 'waste-bin' || model !== 'generic-v1') return real;
      const double: DeviceModel = {
        ...real,
        normalise(channel, element, ctx) {
          if ((element as { id?: unknown }).id === 'e-000302') throw new Error('a bug of the test double');
          return real.normalise(channel, element, ctx);
        },
      };
      return double;
    },
  };
}

async function api(
  method: 'GET' | 'POST',
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${h.httpUrl}${path}`, {
    method,
    headers: { ...bearer(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: await r.json() };
}

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('api_dead_letters'),
    east: [{ id: FIXTURE.device, type: 'waste-bin', model: 'generic-v1', building: FIXTURE.building }],
    extra: { adminKey: KEYS.admin, operatorKey: KEYS.operator },
    models: withBrokenBin,
  });
});
afterAll(async () => {
  await dropDatabase(h.conn);
  await h.stop();
});

describe('dead letters over HTTP', () => {
  let dl: DeadLetter;

  it('a broken model dead-letters the element it throws for; the others are stored', async () => {
    const r = await fetch(`${h.httpUrl}/api/v1/ingest/${FIXTURE.site}/${FIXTURE.gateway}/${FIXTURE.device}/event`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${EAST[0]}:${EAST[1]}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: PAYLOAD,
    });
    expect(r.status).toBe(202);
    expect(((await r.json()) as { rejected: unknown }).rejected).toEqual([{ reason: 'normaliser_error', index: 1 }]);
  });

  it('lists dead letters with filters (operator)', async () => {
    const all = await api(
      'GET',
      '/api/v1/dead-letters?reason=normaliser_error&site=maple-court&gateway=gw-east&from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z',
      KEYS.operator,
    );
    expect(all.status).toBe(200);
    const list = (all.json as { deadLetters: (DeadLetter & { receivedAt: string })[] }).deadLetters;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      gateway: 'gw-east',
      device: FIXTURE.device,
      channel: 'event',
      payload: PAYLOAD,
      encoding: 'utf8',
      receivedAt: '2026-11-27T00:05:00.000Z',
    });
    expect(list[0]!.rejects).toMatchObject([{ reason: 'normaliser_error', index: 1 }]);
    dl = list[0]!;
    for (const q of ['reason=bad_json', 'gateway=gw-west', 'from=2026-11-28T00:00:00Z', 'to=2026-11-27T00:00:00Z']) {
      const none = await api('GET', `/api/v1/dead-letters?${q}`, KEYS.operator);
      expect((none.json as { deadLetters: unknown[] }).deadLetters, q).toEqual([]);
    }
    for (const q of ['limit=0', 'limit=x', 'from=yesterday', 'gateway=GW!']) {
      const bad = await api('GET', `/api/v1/dead-letters?${q}`, KEYS.operator);
      expect(bad.status, q).toBe(400);
      expect((bad.json as { error: { code: string } }).error.code).toBe('HUB_ERR_VALIDATION');
    }
  });

  it('replay needs an admin key (403 for an operator)', async () => {
    const r = await api('POST', '/api/v1/dead-letters/replay', KEYS.operator, { ids: [dl.id] });
    expect(r.status).toBe(403);
    expect((r.json as { error: { code: string } }).error.code).toBe('HUB_ERR_FORBIDDEN');
  });

  it('after the fix, replay stores the rejected element as a first success would have, and twice is still once', async () => {
    broken = false;
    // What the fixed model makes of the whole message at its arrival.
    const normaliser = createNormaliser({
      models: await loadRegistry(),
      pseudonymKey: FIXTURE.pseudonymKey,
      now: h.clock.now,
    });
    const device = h.loaded.inventory.device(FIXTURE.site, FIXTURE.gateway, FIXTURE.device)!;
    const want = normaliser.normalise({
      site: FIXTURE.site,
      gateway: FIXTURE.gateway,
      device,
      channel: 'event',
      payload: Buffer.from(PAYLOAD),
      receivedAt: dl.receivedAt,
    });
    expect(want.rejects).toEqual([]);

    // Replayed later than it arrived: judged at its arrival all the same.
    h.clock.set('2026-11-27T06:00:00Z');
    for (let i = 0; i < 2; i++) {
      const r = await api('POST', '/api/v1/dead-letters/replay', KEYS.admin, { ids: [dl.id] });
      expect(r.status).toBe(200);
      const replayed = (r.json as { replayed: { id: string; points: number; stillRejected: unknown[] }[] }).replayed;
      expect(replayed).toHaveLength(1);
      expect(replayed[0]).toMatchObject({ id: dl.id, stillRejected: [] });
      expect(replayed[0]!.points).toBeGreaterThan(0);
      await drained(h);
      expect(canonical(await storedPoints(h.conn))).toEqual(canonical(want.points));
    }
  });

  it('replay by filter; an unknown id replays nothing', async () => {
    const byFilter = await api('POST', '/api/v1/dead-letters/replay', KEYS.admin, {
      reason: 'normaliser_error',
      gateway: 'gw-east',
    });
    expect((byFilter.json as { replayed: { id: string }[] }).replayed.map((r) => r.id)).toEqual([dl.id]);
    const none = await api('POST', '/api/v1/dead-letters/replay', KEYS.admin, { ids: ['no-such-id'] });
    expect(none.json).toEqual({ replayed: [] });
    const bad = await api('POST', '/api/v1/dead-letters/replay', KEYS.admin, { limit: -1 });
    expect(bad.status).toBe(400);
  });
});
