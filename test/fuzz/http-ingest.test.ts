/**
 * Fuzzing HTTP ingest (src/api/routes/ingest.ts; docs/contract.md §6) with fastify's inject on the
 * API of a real hub (real spool, dead letters and InfluxDB): any body, content type, credentials
 * and path get a 202 (the message durable: points, or dead letters for what failed) or a 4xx with
 * a `HUB_ERR_*` code, never a 5xx or a throw; a 202 accounts for the body as points or rejects.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { createLogger } from '../../src/log.ts';
import { connectInflux, InfluxPointWriter, type PointWriter } from '../../src/store/index.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { dropDatabase, EAST, FIXTURE, startHub, WEST, type E2eHub } from '../e2e/helpers.ts';
import { anyJson, payloadFor } from './arbitraries.ts';
import { fuzz } from './settings.ts';

const DATABASE = uniqueName('fuzz_http_ingest');
let h: E2eHub;
let app: FastifyInstance;
let writer: PointWriter & { close(): Promise<void> };

beforeAll(async () => {
  h = await startHub({
    database: DATABASE,
    east: [
      { id: FIXTURE.device, type: 'waste-bin', model: 'generic-v1', building: FIXTURE.building },
      { id: 'gate-01', type: 'access-gate', model: 'hikvision-acs', building: FIXTURE.building },
    ],
    west: [{ id: 'bin-w', type: 'waste-bin', model: 'lvse-x2', building: 'b2' }],
    // Wrong credentials are part of the input: no lock-out in the middle of a run.
    http: { maxAuthFailures: 0 },
  });
  writer = new InfluxPointWriter(h.conn);
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  app = await buildServer({
    config: h.loaded.config,
    inventory: h.loaded.inventory,
    conn: h.conn,
    writer,
    logger: createLogger('silent', quiet),
    now: h.clock.now,
    hub: h.hub,
  });
});

afterAll(async () => {
  await app?.close();
  await writer?.close();
  await h?.stop();
  await dropDatabase(connectInflux(sharedSettings({ database: DATABASE })));
});

const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const auth = fc.oneof(
  { arbitrary: fc.constant(basic(...EAST)), weight: 6 },
  { arbitrary: fc.constant(basic(...WEST)), weight: 1 },
  { arbitrary: fc.constant(basic(EAST[0], 'wrong')), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }).map((s) => `Basic ${s}`), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);
const idish = fc.oneof(
  fc.constantFrom(FIXTURE.site, FIXTURE.gateway, 'gw-west', FIXTURE.device, 'gate-01', 'bin-w', 'x', 'A', '%2F', '..'),
  fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}$/),
  fc.string({ maxLength: 6 }).map(encodeURIComponent),
);
const path = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom(FIXTURE.device, 'gate-01'), fc.constantFrom('telemetry', 'event'))
      .map(([d, c]) => `${FIXTURE.site}/${FIXTURE.gateway}/${d}/${c}`),
    weight: 6,
  },
  {
    arbitrary: fc
      .tuple(idish, idish, idish, fc.oneof(fc.constantFrom('telemetry', 'event', 'status'), idish))
      .map((l) => l.join('/')),
    weight: 2,
  },
  { arbitrary: fc.array(idish, { maxLength: 6 }).map((l) => l.join('/')), weight: 1 },
);
const body = fc.oneof(
  { arbitrary: payloadFor('waste-bin', 'generic-v1', 'event').map((v) => JSON.stringify(v) ?? ''), weight: 3 },
  { arbitrary: payloadFor('access-gate', 'hikvision-acs', 'telemetry').map((v) => JSON.stringify(v) ?? ''), weight: 2 },
  { arbitrary: anyJson.map((v) => JSON.stringify(v) ?? ''), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
);
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=utf-16'),
  fc.constant(undefined),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
);

describe('HTTP ingest fuzz', () => {
  it('answers 202 with every element accounted for, or a 4xx with a code; never a 5xx', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(path, auth, body, contentType, async (p, a, b, ct) => {
        const headers: Record<string, string> = {};
        if (a !== undefined) headers.authorization = a;
        if (ct !== undefined) headers['content-type'] = ct;
        const res = await app.inject({ method: 'POST', url: `/api/v1/ingest/${p}`, headers, payload: b });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode === 202) {
          accepted++;
          const out = res.json<{ accepted: number; rejected: { reason: string; index?: number }[] }>();
          expect(out.accepted + out.rejected.length, res.body).toBeGreaterThan(0);
          return;
        }
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.json<{ error: { code: string } }>().error.code).toMatch(/^HUB_ERR_[A-Z_]+$/);
      }),
      fuzz(150),
    );
    // The run reached the ingest path itself, not only the checks in front of it.
    expect(accepted).toBeGreaterThan(0);
  });
});
