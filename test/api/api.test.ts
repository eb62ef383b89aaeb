/**
 * The HTTP API (docs/contract.md §6) against a real hub (e2e helpers, shared InfluxDB): every route
 * through `app.inject()` on a server built with the hub's own deps, its auth and validation
 * failures, the OpenAPI document, and /health and /ready over the hub's listening socket.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { KPI_IDS } from '../../src/kpi/index.ts';
import { createLogger } from '../../src/log.ts';
import { buildReport, renderReport, saveReport } from '../../src/report/index.ts';
import { hashSecret } from '../../src/secret.ts';
import { InfluxPointWriter } from '../../src/store/index.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { input } from '../report/fixtures.ts';
import { dropDatabase, fixedClock, ns, startHub, writeDirect, type E2eHub } from './../e2e/helpers.ts';

const KEYS = {
  admin: 'admin-key-from-env-0123456789',
  operator: 'operator-key-from-env-0123456789',
  hashedAdmin: 'hashed-admin-key-0123456789',
  hashedOperator: 'hashed-operator-key-0123456789',
};
const SITE = 'maple-court';
// 2026-11-27 12:00 in Asia/Shanghai.
const clock = fixedClock('2026-11-27T04:00:00Z');
let h: E2eHub;
let app: FastifyInstance;
let writer: InfluxPointWriter;

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const op = auth(KEYS.operator);
const admin = auth(KEYS.admin);

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('api'),
    east: [
      { id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' },
      { id: 'gate-01', type: 'access-gate', model: 'generic-v1' },
    ],
    clock,
    http: {
      operatorKeys: [hashSecret(KEYS.hashedOperator)],
      adminKeys: [hashSecret(KEYS.hashedAdmin)],
      maxAuthFailures: 0,
    },
    extra: { adminKey: KEYS.admin, operatorKey: KEYS.operator },
  });
  writer = new InfluxPointWriter(h.conn);
  app = await buildServer({
    config: h.loaded.config,
    inventory: h.loaded.inventory,
    conn: h.conn,
    writer,
    logger: createLogger('silent'),
    now: clock.now,
    hub: h.hub,
  });
  // bin-01 heard 20 minutes ago, gate-01 never.
  await writeDirect(h.conn, [
    {
      measurement: 'device_health',
      tags: { site: SITE, gateway: 'gw-east', device: 'bin-01', building: 'b1', device_type: 'waste-bin' },
      fields: { heartbeat: true },
      time: ns('2026-11-27T03:40:00Z'),
    },
  ]);
  // Kept reports, as saveReport writes them.
  const dir = join(h.loaded.config.dataDir, 'reports', SITE);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'day-2026-11-26.json'), '{"site":"maple-court"}\n');
  await writeFile(join(dir, 'day-2026-11-26.md'), '# Report\n');
  await writeFile(join(dir, 'day-2026-11-26.html'), '<!doctype html><title>Report</title>\n');
});
afterAll(async () => {
  await app.close();
  await writer.close();
  await dropDatabase(h.conn);
  await h.stop();
});

describe('health, readiness, metrics', () => {
  it('GET /health needs no key', async () => {
    const r = await app.inject({ url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('GET /ready answers the hub readiness', async () => {
    const r = await app.inject({ url: '/ready', headers: op });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      ready: true,
      reasons: [],
      broker: { listening: true },
      influx: { reachable: true },
    });
  });

  it('GET /ready is 503 when the hub is not ready', async () => {
    const notReady = await buildServer({
      config: h.loaded.config,
      inventory: h.loaded.inventory,
      conn: h.conn,
      writer,
      logger: createLogger('silent'),
      hub: {
        ...h.hub,
        ready: () => Promise.resolve({ ready: false, reasons: ['the MQTT broker is not listening'] }),
        stats: () => ({}),
      },
    });
    try {
      const r = await notReady.inject({ url: '/ready', headers: op });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ ready: false, reasons: ['the MQTT broker is not listening'] });
    } finally {
      await notReady.close();
    }
  });

  it('GET /metrics is Prometheus text from hub.stats()', async () => {
    const r = await app.inject({ url: '/metrics', headers: op });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of [
      'hub_messages_received_total',
      'hub_messages_accepted_total',
      'hub_points_written_total',
      'hub_spool_bytes',
      'hub_gateways_connected',
      'hub_spool_oldest_record_age_seconds',
    ]) {
      expect(r.body).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
    expect(r.body).toMatch(/^hub_mqtt_refusals_total\{reason="bad_secret"\} 0$/m);
  });
});

describe('sites and devices', () => {
  it('GET /api/v1/sites lists sites with households and device totals (hashed operator key)', async () => {
    const r = await app.inject({ url: '/api/v1/sites', headers: auth(KEYS.hashedOperator) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      sites: [
        {
          id: SITE,
          name: '枫林苑',
          timezone: 'Asia/Shanghai',
          households: 1200,
          buildings: [
            { id: 'b1', households: 400 },
            { id: 'b2', households: 800 },
          ],
          gateways: 1,
          devices: { total: 2, byType: { 'waste-bin': 1, 'access-gate': 1 } },
        },
      ],
    });
  });

  it('GET /api/v1/sites/{site}/devices gives last seen and online', async () => {
    const r = await app.inject({ url: `/api/v1/sites/${SITE}/devices`, headers: op });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      site: SITE,
      onlineWindowMs: 3_600_000,
      devices: [
        {
          id: 'bin-01',
          gateway: 'gw-east',
          type: 'waste-bin',
          model: 'generic-v1',
          building: 'b1',
          lastSeen: '2026-11-27T03:40:00.000Z',
          online: true,
        },
        {
          id: 'gate-01',
          gateway: 'gw-east',
          type: 'access-gate',
          model: 'generic-v1',
          building: null,
          lastSeen: null,
          online: false,
        },
      ],
    });
  });

  it('an unknown site is 404 HUB_ERR_UNKNOWN_SITE; a malformed one 400 naming the field', async () => {
    const r = await app.inject({ url: '/api/v1/sites/nowhere/devices', headers: op });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('HUB_ERR_UNKNOWN_SITE');
    const bad = await app.inject({ url: '/api/v1/sites/No%20Such/devices', headers: op });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'HUB_ERR_VALIDATION',
      message: expect.stringContaining('params.site'),
    });
  });
});

describe('KPIs', () => {
  it('POST …/kpis/compute (admin) computes and stores a period; GET …/kpis reads it back', async () => {
    const c = await app.inject({
      method: 'POST',
      url: `/api/v1/sites/${SITE}/kpis/compute`,
      headers: auth(KEYS.hashedAdmin),
      payload: { period: 'day', date: '2026-11-26' },
    });
    expect(c.statusCode).toBe(200);
    const computed = c.json();
    expect(computed.results.map((x: { kpi: string }) => x.kpi)).toEqual([...KPI_IDS]);

    const r = await app.inject({
      url: `/api/v1/sites/${SITE}/kpis?period=day&from=2026-11-26&to=2026-11-27`,
      headers: op,
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      site: SITE,
      period: 'day',
      from: '2026-11-25T16:00:00.000Z',
      to: '2026-11-26T16:00:00.000Z',
    });
    expect(body.results.map((x: { kpi: string; date: string }) => `${x.kpi}@${x.date}`)).toEqual(
      KPI_IDS.map((k) => `${k}@2026-11-26`),
    );
    // Default window: the last 31 days up to the end of today holds the same period.
    const d = await app.inject({ url: `/api/v1/sites/${SITE}/kpis`, headers: op });
    expect(d.json().results).toHaveLength(KPI_IDS.length);
  });

  it('validation: a bad period, a bad date, a missing body field', async () => {
    const q = await app.inject({ url: `/api/v1/sites/${SITE}/kpis?period=decade`, headers: op });
    expect(q.statusCode).toBe(400);
    expect(q.json().error).toMatchObject({
      code: 'HUB_ERR_VALIDATION',
      message: expect.stringContaining('querystring.period'),
    });
    const from = await app.inject({ url: `/api/v1/sites/${SITE}/kpis?from=yesterday`, headers: op });
    expect(from.statusCode).toBe(400);
    expect(from.json().error.message).toContain('querystring.from');
    const b = await app.inject({
      method: 'POST',
      url: `/api/v1/sites/${SITE}/kpis/compute`,
      headers: admin,
      payload: { period: 'day' },
    });
    expect(b.statusCode).toBe(400);
    expect(b.json().error).toMatchObject({ code: 'HUB_ERR_VALIDATION', message: expect.stringContaining('body.date') });
    const future = await app.inject({
      method: 'POST',
      url: `/api/v1/sites/${SITE}/kpis/compute`,
      headers: admin,
      payload: { period: 'day', date: '2027-01-01' },
    });
    expect(future.statusCode).toBe(400);
    expect(future.json().error.code).toBe('HUB_ERR_KPI_PERIOD');
    const json = await app.inject({
      method: 'POST',
      url: `/api/v1/sites/${SITE}/kpis/compute`,
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe('HUB_ERR_VALIDATION');
  });
});

describe('reports', () => {
  it('lists kept reports', async () => {
    const r = await app.inject({ url: `/api/v1/sites/${SITE}/reports`, headers: op });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      site: SITE,
      reports: [
        {
          id: 'day-2026-11-26',
          period: 'day',
          date: '2026-11-26',
          formats: ['json', 'md', 'html'],
          // Kept without a build record (as by an older hub): when and why are unknown.
          builtAt: null,
          trigger: null,
          rebuiltAfterLateData: false,
          links: {
            json: `/api/v1/sites/${SITE}/reports/day-2026-11-26.json`,
            md: `/api/v1/sites/${SITE}/reports/day-2026-11-26.md`,
            html: `/api/v1/sites/${SITE}/reports/day-2026-11-26.html`,
          },
        },
      ],
    });
  });

  it('serves a report by extension or Accept', async () => {
    const md = await app.inject({ url: `/api/v1/sites/${SITE}/reports/day-2026-11-26.md`, headers: op });
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.body).toBe('# Report\n');
    const html = await app.inject({
      url: `/api/v1/sites/${SITE}/reports/day-2026-11-26`,
      headers: { ...op, accept: 'text/html,*/*' },
    });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.body).toContain('<title>Report</title>');
    const json = await app.inject({ url: `/api/v1/sites/${SITE}/reports/day-2026-11-26`, headers: op });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json()).toEqual({ site: SITE });
  });

  it('a missing report is 404 HUB_ERR_NOT_FOUND; a malformed id 400', async () => {
    const r = await app.inject({ url: `/api/v1/sites/${SITE}/reports/week-2026-11-23.md`, headers: op });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('HUB_ERR_NOT_FOUND');
    const bad = await app.inject({ url: `/api/v1/sites/${SITE}/reports/..%2F..%2Fetc`, headers: op });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('params.id');
  });

  it('?lang= renders the kept JSON in that language; the JSON itself is language-neutral', async () => {
    const report = buildReport(input());
    await saveReport(h.loaded.config.dataDir, report, { lang: 'zh-CN' });
    const url = `/api/v1/sites/${SITE}/reports/day-2026-11-27`;
    const kept = await app.inject({ url: `${url}.md`, headers: op });
    expect(kept.body).toBe(renderReport(report, 'md', { lang: 'zh-CN' }));
    const en = await app.inject({ url: `${url}.md?lang=en`, headers: op });
    expect(en.statusCode).toBe(200);
    expect(en.headers['content-type']).toMatch(/^text\/markdown/);
    expect(en.body).toBe(renderReport(report, 'md', { lang: 'en' }));
    expect(en.body).toContain('| Sorting coverage |');
    const html = await app.inject({ url: `${url}?lang=en`, headers: { ...op, accept: 'text/html' } });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toBe(renderReport(report, 'html', { lang: 'en' }));
    const zh = await app.inject({ url: `${url}.html?lang=zh-CN`, headers: op });
    expect(zh.body).toContain('<html lang="zh-CN">');
    const json = await app.inject({ url: `${url}.json?lang=en`, headers: op });
    expect(json.json()).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json.json().titles.kpis.sorting_coverage).toEqual({ 'zh-CN': '垃圾分类覆盖率', en: 'Sorting coverage' });
  });

  it('?lang= refuses an unknown language (400) and a report kept in an older version (404)', async () => {
    const bad = await app.inject({ url: `/api/v1/sites/${SITE}/reports/day-2026-11-27.md?lang=fr`, headers: op });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('HUB_ERR_VALIDATION');
    const old = await app.inject({ url: `/api/v1/sites/${SITE}/reports/day-2026-11-26.md?lang=en`, headers: op });
    expect(old.statusCode).toBe(404);
    expect(old.json().error.message).toContain('version undefined, not 2');
    const none = await app.inject({ url: `/api/v1/sites/${SITE}/reports/week-2026-11-23.md?lang=en`, headers: op });
    expect(none.statusCode).toBe(404);
  });
});

describe('auth', () => {
  const READ_ROUTES = [
    '/ready',
    '/metrics',
    '/api/v1/sites',
    `/api/v1/sites/${SITE}/devices`,
    `/api/v1/sites/${SITE}/kpis`,
    `/api/v1/sites/${SITE}/reports`,
    `/api/v1/sites/${SITE}/reports/day-2026-11-26`,
  ];

  it.each(READ_ROUTES)('GET %s: no key 401, wrong key 401, admin key reads', async (url) => {
    const none = await app.inject({ url });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'HUB_ERR_UNAUTHORIZED', message: expect.any(String) } });
    const wrong = await app.inject({ url, headers: auth('not-a-key-of-this-hub') });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('HUB_ERR_UNAUTHORIZED');
    const a = await app.inject({ url, headers: admin });
    expect([200, 503]).toContain(a.statusCode);
  });

  it('POST …/kpis/compute: no key 401, wrong key 401, operator keys 403', async () => {
    const url = `/api/v1/sites/${SITE}/kpis/compute`;
    const payload = { period: 'day', date: '2026-11-26' };
    expect((await app.inject({ method: 'POST', url, payload })).json().error.code).toBe('HUB_ERR_UNAUTHORIZED');
    expect((await app.inject({ method: 'POST', url, payload, headers: auth('nope') })).statusCode).toBe(401);
    for (const key of [KEYS.operator, KEYS.hashedOperator]) {
      const r = await app.inject({ method: 'POST', url, payload, headers: auth(key) });
      expect(r.statusCode).toBe(403);
      expect(r.json().error.code).toBe('HUB_ERR_FORBIDDEN');
    }
  });

  it('repeated wrong keys from one address are rate limited (429)', async () => {
    const limited = await buildServer({
      config: { ...h.loaded.config, http: { ...h.loaded.config.http, maxAuthFailures: 3 } },
      inventory: h.loaded.inventory,
      conn: h.conn,
      writer,
      logger: createLogger('silent'),
      hub: h.hub,
    });
    try {
      for (let i = 0; i < 3; i++)
        expect((await limited.inject({ url: '/api/v1/sites', headers: auth(`wrong-${i}`) })).statusCode).toBe(401);
      const r = await limited.inject({ url: '/api/v1/sites', headers: op });
      expect(r.statusCode).toBe(429);
      expect(r.json().error.code).toBe('HUB_ERR_RATE_LIMITED');
      expect((await limited.inject({ url: '/health' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('an unknown route is 404 HUB_ERR_NOT_FOUND', async () => {
    const r = await app.inject({ url: '/api/v1/nothing', headers: op });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('HUB_ERR_NOT_FOUND');
  });

  it('a body over http.bodyLimit is 413 HUB_ERR_PAYLOAD_TOO_LARGE', async () => {
    const small = await buildServer({
      config: { ...h.loaded.config, http: { ...h.loaded.config.http, bodyLimit: 64 } },
      inventory: h.loaded.inventory,
      conn: h.conn,
      writer,
      logger: createLogger('silent'),
      hub: h.hub,
    });
    try {
      const r = await small.inject({
        method: 'POST',
        url: `/api/v1/sites/${SITE}/kpis/compute`,
        headers: admin,
        payload: { period: 'day', date: '2026-11-26', pad: 'x'.repeat(200) },
      });
      expect(r.statusCode).toBe(413);
      expect(r.json().error.code).toBe('HUB_ERR_PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});

describe('OpenAPI', () => {
  it('/docs/json lists every route; /docs serves the UI', async () => {
    const r = await app.inject({ url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(routes.sort()).toEqual([
      'GET /api/v1/dead-letters',
      'GET /api/v1/sites',
      'GET /api/v1/sites/{site}/devices',
      'GET /api/v1/sites/{site}/evaluation/payback',
      'GET /api/v1/sites/{site}/kpis',
      'GET /api/v1/sites/{site}/reports',
      'GET /api/v1/sites/{site}/reports/{id}',
      'GET /api/v1/sites/{site}/surveys',
      'GET /health',
      'GET /metrics',
      'GET /ready',
      'POST /api/v1/admin/reload',
      'POST /api/v1/dead-letters/replay',
      'POST /api/v1/emqx/authn',
      'POST /api/v1/emqx/authz',
      'POST /api/v1/ingest/{site}/{gateway}/{device}/{channel}',
      'POST /api/v1/sites/{site}/kpis/compute',
      'POST /api/v1/sites/{site}/surveys',
    ]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.gateway).toMatchObject({ type: 'http', scheme: 'basic' });
    const ui = await app.inject({ url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});

describe('over the hub socket', () => {
  it('the started hub listens on its HTTP port for /health and /ready', async () => {
    expect(h.httpPort).toBeGreaterThan(0);
    expect(h.logs.some((l) => l.msg === 'hub started: listening' && l.http === h.httpPort)).toBe(true);
    const health = await fetch(`${h.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.httpUrl}/ready`, { headers: op });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });
});
