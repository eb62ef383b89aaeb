/**
 * The funding and payback picture end to end (docs/contract.md §5 "Funding and payback", §6): a
 * real hub on the run's InfluxDB takes deposits over MQTT from Debian's mosquitto_pub across five
 * site-local months, and `GET /api/v1/sites/{site}/evaluation/payback` over HTTP is compared month
 * by month with a ledger this file keeps from its own inputs (never calling src/): revenue from
 * integer grams and fen, the month read off each deposit's local time text, the recovery month and
 * the projection found by stepping month by month.
 *
 * The hub's clock stands at 2026-12-02 12:00 in Asia/Shanghai: August to November are complete,
 * December runs. Deposits at 23:30 local on the last day of a month (still that month there, the
 * next one nowhere: 15:30Z) and at 00:00 local on the 1st (the previous month in UTC) pin the
 * site-local month boundary.
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

const NOW = Date.parse('2026-12-02T04:00:00Z');
const OPERATOR = 'payback-operator-key-0123456789';
const SECRET = 'payback-gateway-secret-0123456789abcdef';
/** Hub prices, yuan per kg, as hub.yaml gives them; site `alder` overrides kitchen. */
const HUB_PRICES = { recyclable: 1.0, kitchen: 0.05, hazardous: 0, residual: 0 };
const ALDER = {
  investment: { government: 200, socialCapital: 40, residents: 60 },
  monthlyOperatingCost: 10,
  monthlyOtherIncome: 5,
  prices: { kitchen: 0.08 },
  startMonth: '2026-08',
};
const BIRCH = {
  investment: { government: 1000, socialCapital: 500, residents: 0 },
  monthlyOperatingCost: 4,
  monthlyOtherIncome: 0,
};

type Sorting = 'correct' | 'incorrect' | 'unchecked';
/** One deposit: site, local time with its offset, category, grams, sorting. */
type Deposit = [string, string, string, number, Sorting];

const DEPOSITS: Deposit[] = [
  // alder: July is before its startMonth (not counted).
  ['alder', '2026-07-15T10:00:00+08:00', 'recyclable', 9000, 'correct'],
  ['alder', '2026-08-03T09:00:00+08:00', 'recyclable', 12_340, 'correct'],
  ['alder', '2026-08-10T09:00:00+08:00', 'kitchen', 25_000, 'unchecked'],
  ['alder', '2026-08-31T23:30:00+08:00', 'recyclable', 4_560, 'correct'],
  // Incorrect: weighed but not sold.
  ['alder', '2026-09-02T09:00:00+08:00', 'recyclable', 50_000, 'incorrect'],
  ['alder', '2026-09-12T09:00:00+08:00', 'residual', 30_000, 'correct'],
  ['alder', '2026-09-20T09:00:00+08:00', 'recyclable', 21_000, 'correct'],
  ['alder', '2026-09-30T23:30:00+08:00', 'kitchen', 12_500, 'correct'],
  ['alder', '2026-10-01T00:00:00+08:00', 'recyclable', 18_750, 'unchecked'],
  ['alder', '2026-10-18T09:00:00+08:00', 'hazardous', 2_000, 'correct'],
  ['alder', '2026-11-05T09:00:00+08:00', 'recyclable', 3_000, 'correct'],
  ['alder', '2026-12-01T08:00:00+08:00', 'recyclable', 7_770, 'correct'],
  // birch: no startMonth, so the clock starts at its first deposit (September).
  ['birch', '2026-09-01T00:00:00+08:00', 'recyclable', 10_000, 'correct'],
  ['birch', '2026-09-15T09:00:00+08:00', 'kitchen', 40_000, 'correct'],
  ['birch', '2026-10-31T23:30:00+08:00', 'recyclable', 6_000, 'correct'],
  ['birch', '2026-11-09T09:00:00+08:00', 'recyclable', 8_000, 'incorrect'],
  ['birch', '2026-11-30T23:30:00+08:00', 'recyclable', 5_500, 'unchecked'],
  // cedar: no evaluation block at all.
  ['cedar', '2026-10-20T09:00:00+08:00', 'recyclable', 1_230, 'correct'],
  ['cedar', '2026-11-30T23:30:00+08:00', 'kitchen', 4_000, 'correct'],
];

// ---- The ledger: integers (grams, fen), months read off the local time text. ----

const fenPerKg = (site: string, category: string): number => {
  const override = site === 'alder' ? (ALDER.prices as Record<string, number>)[category] : undefined;
  return Math.round((override ?? (HUB_PRICES as Record<string, number>)[category]!) * 100);
};
const nextMonth = (m: string): string => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};

interface LedgerMonth {
  month: string;
  revenue: number;
  otherIncome: number;
  operatingCost: number;
  net: number;
  cumulative: number;
}

function ledger(site: string, settings: Partial<typeof ALDER> | undefined, current: string) {
  const mine = DEPOSITS.filter((d) => d[0] === site);
  const first = settings?.startMonth ?? mine.map((d) => d[1].slice(0, 7)).sort()[0]!;
  const milliFen = new Map<string, number>();
  for (const [, ts, category, grams, sorting] of mine) {
    if (sorting === 'incorrect') continue;
    const m = ts.slice(0, 7);
    milliFen.set(m, (milliFen.get(m) ?? 0) + grams * fenPerKg(site, category));
  }
  const other = Math.round((settings?.monthlyOtherIncome ?? 0) * 100);
  const cost = Math.round((settings?.monthlyOperatingCost ?? 0) * 100);
  const months: LedgerMonth[] = [];
  let cumulative = 0;
  for (let m = first; m <= current; m = nextMonth(m)) {
    const revenue = Math.round((milliFen.get(m) ?? 0) / 1000);
    cumulative += revenue + other - cost;
    months.push({
      month: m,
      revenue,
      otherIncome: other,
      operatingCost: cost,
      net: revenue + other - cost,
      cumulative,
    });
  }
  const capital = settings?.investment ? Math.round(settings.investment.socialCapital * 100) : null;
  const recoveredIn = capital === null ? null : (months.find((x) => x.cumulative >= capital)?.month ?? null);
  let projected: string | null = null;
  if (capital !== null && recoveredIn === null) {
    const complete = months.filter((x) => x.month < current);
    const last3 = complete.slice(-3);
    const average = last3.reduce((a, x) => a + x.net, 0) / last3.length;
    if (average > 0) {
      // Step month by month from the last complete one (no division: a check on the hub's ceil).
      let cum = complete.at(-1)!.cumulative;
      let m = complete.at(-1)!.month;
      while (cum < capital) {
        cum += average;
        m = nextMonth(m);
      }
      projected = m;
    }
  }
  return { months, recoveredIn, projected, capital };
}

// ---- The hub. ----

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
