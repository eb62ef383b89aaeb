/**
 * The funding and payback picture end to end (docs/contract.md §5 "Funding and payback", §6): a
 * real hub on the run's InfluxDB takes deposits over MQTT from Debian's mosquitto_pub across five
 * site-local months, and `GET /api/v1/sites/{site}/evaluation/payback` over HTTP is compared month
 * by month with the ledger of payback-ledger.ts, kept from the same inputs without calling src/.
 *
 * The hub's clock stands at 2026-12-02 12:00 in Asia/Shanghai: August to November are complete,
 * December runs. Deposits at 23:30 local on the last day of a month and at 00:00 local on
 * the 1st (the previous month in UTC) pin the site-local month boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/secret.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { drainedWithin, sharedInfluxSection, startTestHub, writeHubFiles, type TestHub } from '../helpers/hub.ts';
import { dropDatabase, mosquittoPublish } from './helpers.ts';
import { buildServer } from '../../src/api/server.ts';
import { createLogger } from '../../src/log.ts';
import { connectInflux, InfluxPointWriter } from '../../src/store/index.ts';
import { deadUrl } from '../helpers/influx.ts';
import { ALDER, BIRCH, DEPOSITS, HUB_PRICES, ledger, type LedgerMonth } from './payback-ledger.ts';

const NOW = Date.parse('2026-12-02T04:00:00Z');
const OPERATOR = 'payback-operator-key-0123456789';
const SECRET = 'payback-gateway-secret-0123456789abcdef';

let hub: TestHub;
let database: string;

const gateway = (site: string): string => `gw-${site}`;

beforeAll(async () => {
  database = uniqueName('payback');
  const secret = hashSecret(SECRET, 'fast');
  const site = (id: string, evaluation?: object): object => ({
    id,
    timezone: 'Asia/Shanghai',
    households: 100,
    ...(evaluation ? { evaluation } : {}),
    gateways: [{ id: gateway(id), secret, devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] }],
  });
  const files = await writeHubFiles({
    prefix: 'hub-payback-',
    config: {
      pseudonymKey: 'payback-test-pseudonym-key',
      operatorKey: OPERATOR,
      influx: sharedInfluxSection(database),
      // Deposits reach back to July: older than the default 30 days.
      ingest: { maxAge: '200d' },
      kpi: { enabled: false },
      selfStats: { enabled: false },
      evaluation: { prices: HUB_PRICES },
    },
    inventory: { sites: [site('alder', ALDER), site('birch', BIRCH), site('cedar')] },
  });
  hub = await startTestHub(files, { now: () => NOW });
  let n = 0;
  for (const [s, ts, category, grams, sorting] of DEPOSITS) {
    const payload = JSON.stringify({
      id: `e-${++n}`,
      ts,
      type: 'deposit',
      household: `H-${n}`,
      category,
      weight: grams / 1000,
      sorting,
      auth: 'card',
    });
    const topic = `community/v1/${s}/${gateway(s)}/bin-01/event`;
    const r = await mosquittoPublish(hub.port, [gateway(s), SECRET], topic, { m: payload });
    expect(r.code, r.stderr).toBe(0);
  }
  await drainedWithin(hub.hub, 30_000);
}, 120_000);

afterAll(async () => {
  if (!hub) return;
  await dropDatabase(connectInflux({ ...hub.loaded.config.influx }));
  await hub.stop();
  await hub.files.remove();
});

/** The parts of an answer the tests read (the rest is compared whole). */
interface Body {
  months: Array<{ month: string; revenue: number }>;
  recoveredIn?: string | null;
  error: { code: string };
}

async function payback(site: string, qs = '', key: string | null = OPERATOR): Promise<{ status: number; body: Body }> {
  const r = await fetch(`${hub.httpUrl}/api/v1/sites/${site}/evaluation/payback${qs}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: r.status, body: (await r.json()) as Body };
}

/** The ledger's months as the API writes them (yuan). */
function asYuan(months: LedgerMonth[], capital: number | null) {
  return months.map((m) => ({
    month: m.month,
    revenue: m.revenue / 100,
    otherIncome: m.otherIncome / 100,
    operatingCost: m.operatingCost / 100,
    net: m.net / 100,
    cumulative: m.cumulative / 100,
    recoveredShare: capital === null ? null : expect.closeTo(m.cumulative / capital, 12),
    complete: m.month < '2026-12',
  }));
}

describe('GET /api/v1/sites/{site}/evaluation/payback', () => {
  it('matches the ledger month by month and finds the recovery month (alder)', async () => {
    const want = ledger('alder', ALDER, '2026-12');
    const { status, body } = await payback('alder');
    expect(status).toBe(200);
    expect(body.months).toEqual(asYuan(want.months, want.capital));
    expect(body).toMatchObject({
      site: 'alder',
      currency: 'CNY',
      investment: { ...ALDER.investment, total: 300 },
      shares: { government: 200 / 300, socialCapital: 40 / 300, residents: 60 / 300 },
      recoveredIn: want.recoveredIn,
      projectedRecovery: null,
      reason: null,
    });
    // Recovered in October; had 00:00 local on 1 October counted in September (its UTC month), it
    // would have been September.
    expect(want.recoveredIn).toBe('2026-10');
  });

  it('counts a deposit at 23:30 local on a month’s last day in that month, and leaves incorrect ones out', async () => {
    const { body } = await payback('alder');
    const byMonth = new Map(body.months.map((m) => [m.month, m]));
    // August: 12.34 + 4.56 kg at 1 yuan, 25 kg kitchen at alder's 0.08 = 18.90 (the 50 kg incorrect of
    // September and July's 9 kg, before startMonth, are nowhere).
    expect(byMonth.get('2026-08')!.revenue).toBe(18.9);
    // September: 21 kg + 12.5 kg kitchen at 0.08 (the 30 kg residual is worth 0).
    expect(byMonth.get('2026-09')!.revenue).toBe(22);
    expect(byMonth.has('2026-07')).toBe(false);
  });

  it('projects the recovery at the average net of the last 3 complete months (birch, clock from its first deposit)', async () => {
    const want = ledger('birch', BIRCH, '2026-12');
    const { status, body } = await payback('birch');
    expect(status).toBe(200);
    expect(body.months.map((m) => m.month)).toEqual(['2026-09', '2026-10', '2026-11', '2026-12']);
    expect(body.months).toEqual(asYuan(want.months, want.capital));
    expect(want.recoveredIn).toBeNull();
    expect(want.projected).not.toBeNull();
    expect(body).toMatchObject({ recoveredIn: null, projectedRecovery: want.projected, reason: null });
  });

  it('lists the revenue of a site without an investment, not_configured (cedar)', async () => {
    const want = ledger('cedar', undefined, '2026-12');
    const { status, body } = await payback('cedar');
    expect(status).toBe(200);
    expect(body).toEqual({
      site: 'cedar',
      currency: 'CNY',
      investment: null,
      shares: null,
      months: asYuan(want.months, null),
      recoveredIn: null,
      projectedRecovery: null,
      reason: 'not_configured',
    });
    expect(body.months.some((m) => m.revenue > 0)).toBe(true);
  });

  it('narrows the months listed with from and to (cumulative still since the start)', async () => {
    const want = ledger('alder', ALDER, '2026-12');
    const { body } = await payback('alder', '?from=2026-09&to=2026-10');
    expect(body.months).toEqual(
      asYuan(want.months, want.capital).filter((m) => m.month >= '2026-09' && m.month <= '2026-10'),
    );
    expect(body.recoveredIn).toBe(want.recoveredIn);
  });

  it('refuses an unknown site (404), a bad month or range (400) and a missing key (401)', async () => {
    const unknown = await payback('nowhere');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('HUB_ERR_UNKNOWN_SITE');
    for (const qs of ['?from=2026-13', '?to=26-10', '?from=2026-11&to=2026-10']) {
      const bad = await payback('alder', qs);
      expect(bad.status, qs).toBe(400);
      expect(bad.body.error.code).toBe('HUB_ERR_VALIDATION');
    }
    const anonymous = await payback('alder', '', null);
    expect(anonymous.status).toBe(401);
  });

  it('answers 503 with the retryable InfluxDB code, never zeros, when InfluxDB does not answer', async () => {
    const dead = connectInflux({ ...hub.loaded.config.influx, url: await deadUrl() });
    const writer = new InfluxPointWriter(dead);
    const app = await buildServer({
      config: hub.loaded.config,
      inventory: hub.loaded.inventory,
      conn: dead,
      writer,
      logger: createLogger('silent'),
      now: () => NOW,
      hub: hub.hub,
    });
    try {
      const r = await app.inject({
        url: '/api/v1/sites/alder/evaluation/payback',
        headers: { authorization: `Bearer ${OPERATOR}` },
      });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ error: { code: 'HUB_ERR_INFLUX_UNREACHABLE' } });
    } finally {
      await app.close();
      await writer.close();
    }
  });
});
