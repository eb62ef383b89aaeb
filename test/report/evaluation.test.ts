/**
 * The evaluation scorecard of a quarter report against the run's real InfluxDB (docs/contract.md
 * §5, "Evaluation scorecard"): a site with deposits from July to November 2026, three survey waves
 * stored through the real upload path (storeSurveyUpload) and a PPP `evaluation:` block. Every
 * scorecard value is compared with a ground truth the test works out from what it wrote; the
 * deposits and the wave after the quarter must not count. The report stage builds the quarter's
 * report with it; a day report has none.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inventory, type InventoryData } from '../../src/config/inventory.ts';
import { configSchema } from '../../src/config/schema.ts';
import { periodOf, storeSurveyUpload } from '../../src/kpi/index.ts';
import { nsFromMs, type Point } from '../../src/point.ts';
import { createPseudonymiser } from '../../src/pseudonym.ts';
import {
  gatherReport,
  renderHtml,
  renderMarkdown,
  ReportStage,
  type ReportData,
  type ReportDeps,
} from '../../src/report/index.ts';
import type { InfluxPointWriter } from '../../src/store/index.ts';
import { captureLogs } from '../helpers/hub.ts';
import { testDir } from '../helpers/tmp.ts';
import { freshDatabase, kpiConfig } from '../kpi/helpers.ts';
import { REPORT_CONFIG } from './fixtures.ts';

const S = 'oak-yard';
const TZ = 'Asia/Shanghai';
const NOW = Date.parse('2026-12-10T12:00:00+08:00');
const KEY = 'evaluation-test-pseudonym-key';
const PRICES = { recyclable: 2, kitchen: 0.5, hazardous: 0, residual: 0 };
const FACTORS = { recyclable: 1.5, kitchen: 0.3, hazardous: 0, residual: 0 };
const INVESTMENT = { government: 60_000, socialCapital: 30_000, residents: 10_000 };
const COST = 300;
const OTHER = 100;
const EVALUATION = configSchema.parse({
  pseudonymKey: KEY,
  evaluation: { prices: PRICES, co2eFactors: FACTORS },
}).evaluation;
const HOUSEHOLDS = Array.from({ length: 10 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);

type Category = keyof typeof PRICES;
interface Deposit {
  month: string;
  household: string;
  category: Category;
  sorting: 'correct' | 'incorrect' | 'unchecked';
  grams: number;
}

/** The deposits of one month: each household brings recyclables, kitchen waste and residual waste. */
function monthDeposits(month: string, scale: number): Deposit[] {
  return HOUSEHOLDS.flatMap((household, i): Deposit[] => [
    // h10 never sorts right in the quarter: coverage 9/10.
    {
      month,
      household,
      category: 'recyclable',
      sorting: i === 9 ? 'incorrect' : 'correct',
      grams: scale * (100_000 + i * 1_000),
    },
    { month, household, category: 'kitchen', sorting: i % 3 === 0 ? 'unchecked' : 'correct', grams: 40_000 + i * 250 },
    { month, household, category: 'residual', sorting: i === 9 ? 'incorrect' : 'correct', grams: 150_000 },
  ]);
}
const DEPOSITS: Deposit[] = [
  ...monthDeposits('2026-07', 1),
  ...monthDeposits('2026-08', 2),
  ...monthDeposits('2026-09', 3),
  // After the quarter: large enough to recover the investment in October.
  ...monthDeposits('2026-10', 20),
  ...monthDeposits('2026-11', 1),
];

let seq = 0;
function point(d: Deposit, day: number): Point {
  const ms = Date.parse(`${d.month}-${String(day).padStart(2, '0')}T10:00:00+08:00`);
  return {
    measurement: 'deposit',
    tags: {
      site: S,
      gateway: `gw-${S}`,
      device: 'bin-01',
      building: 'none',
      category: d.category,
      sorting: d.sorting,
      auth: 'card',
    },
    fields: { household: `px_${d.household}`, weight_kg: d.grams / 1000, event_id: `ev-${++seq}` },
    time: nsFromMs(ms, seq),
  };
}

const INVENTORY: InventoryData = {
  sites: [
    {
      id: S,
      timezone: TZ,
      households: HOUSEHOLDS.length,
      evaluation: { investment: INVESTMENT, monthlyOperatingCost: COST, monthlyOtherIncome: OTHER },
      gateways: [
        { id: `gw-${S}`, secret: 'scrypt$test', devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] },
      ],
    },
  ],
};

/** Scores of each wave: Q1 5 of 10 satisfied, Q3 7 of 10, Q4 (after the quarter) 10 of 10. */
const WAVES = [
  { wave: '2026-Q1', date: '2026-03-31', scores: [5, 4, 4, 5, 4, 3, 2, 1, 3, 2] },
  { wave: '2026-Q3', date: '2026-09-30', scores: [5, 4, 4, 5, 4, 4, 4, 3, 1, 2] },
  { wave: '2026-Q4', date: '2026-12-01', scores: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5] },
];

let deps: ReportDeps;
let writer: InfluxPointWriter;

beforeAll(async () => {
  const db = await freshDatabase('report_eval');
  writer = db.writer;
  await writer.write(DEPOSITS.map((d, i) => point(d, 1 + (i % 28))));
  const inventory = new Inventory(INVENTORY);
  const pseudonymise = createPseudonymiser(KEY);
  for (const w of WAVES) {
    const r = await storeSurveyUpload(
      { conn: db.conn, writer, inventory, pseudonymise, now: () => NOW },
      {
        site: S,
        wave: w.wave,
        date: w.date,
        responses: w.scores.map((score, i) => ({ household: HOUSEHOLDS[i]!, score })),
      },
    );
    expect(r.stored).toBe(true);
  }
  deps = {
    conn: db.conn,
    inventory,
    config: kpiConfig(),
    report: REPORT_CONFIG,
    evaluation: EVALUATION,
    deadLetters: { list: () => Promise.resolve([]) },
    now: () => NOW,
  };
});
afterAll(async () => {
  await writer.close();
});

// ---- Ground truth, from what the test wrote ----
const inQ3 = (d: Deposit): boolean => d.month >= '2026-07' && d.month <= '2026-09';
const kept = (d: Deposit): boolean => d.sorting !== 'incorrect';
const sumGrams = (ds: Deposit[]): number => ds.reduce((a, d) => a + d.grams, 0);

function monthNet(month: string): number {
  // Revenue in fen: grams × yuan/kg ÷ 10, rounded once per month; then net in fen.
  const fenRevenue = Math.round(
    DEPOSITS.filter((d) => d.month === month && kept(d)).reduce((a, d) => a + d.grams * PRICES[d.category], 0) / 10,
  );
  return fenRevenue + (OTHER - COST) * 100;
}

function rate(scores: number[]): number {
  return scores.filter((s) => s >= 4).length / scores.length;
}

describe('the evaluation scorecard of a quarter report', () => {
  it('holds every value as the data written says, as of the quarter end', async () => {
    const r = await gatherReport(deps, S, 'quarter', '2026-07-01');
    const ev = r.evaluation!;
    expect(ev.asOf).toEqual({ day: '2026-09-30', month: '2026-09' });

    const q3 = DEPOSITS.filter(inQ3);
    const coverage =
      new Set(q3.filter((d) => d.sorting === 'correct').map((d) => d.household)).size / HOUSEHOLDS.length;
    const diverted = sumGrams(q3.filter((d) => kept(d) && d.category !== 'residual'));
    const recyclableGrams = sumGrams(q3.filter((d) => kept(d) && d.category === 'recyclable'));
    const co2eGrams = q3.filter(kept).reduce((a, d) => a + d.grams * FACTORS[d.category], 0);
    const byKpi = Object.fromEntries(ev.kpis.map((k) => [k.kpi, k]));
    expect(byKpi['sorting_coverage']).toMatchObject({ value: coverage, target: 0.95, met: false });
    expect(coverage).toBe(0.9);
    expect(byKpi['diversion_rate']!.value).toBeCloseTo(diverted / sumGrams(q3), 12);
    expect(byKpi['diversion_rate']).toMatchObject({ target: 0.35, met: diverted / sumGrams(q3) >= 0.35 });
    expect(byKpi['recyclables_kg']).toMatchObject({ value: recyclableGrams / 1000, target: null, met: null });
    expect(byKpi['co2e_avoided_kg']!.value).toBeCloseTo(Math.round(co2eGrams) / 1000, 9);
    // The scorecard's rows are the report's own KPI rows.
    expect(r.kpis.find((k) => k.kpi === 'sorting_coverage')!.value).toBe(coverage);

    // Satisfaction: Q3 is the latest wave up to 2026-09-30 (Q4 is later), Q1 the baseline.
    const [q1, q3w] = [rate(WAVES[0]!.scores), rate(WAVES[1]!.scores)];
    expect([q1, q3w]).toEqual([0.5, 0.7]);
    expect(ev.satisfaction).toMatchObject({
      target: 0.3,
      baseline: '2026-Q1',
      baselineRate: q1,
      wave: '2026-Q3',
      date: '2026-09-30',
      rate: q3w,
      met: q3w / q1 - 1 >= 0.3,
      reason: null,
    });
    expect(ev.satisfaction.gain).toBeCloseTo(q3w / q1 - 1, 12);
    expect(ev.satisfaction.targetRate).toBeCloseTo(q1 * 1.3, 12);
    expect(ev.satisfaction.waves.map((w) => [w.wave, w.date, w.responses, w.satisfactionRate])).toEqual([
      ['2026-Q1', '2026-03-31', 10, q1],
      ['2026-Q3', '2026-09-30', 10, q3w],
    ]);

    // Funding and payback at the end of September: October's deposits recover it, but later.
    const total = INVESTMENT.government + INVESTMENT.socialCapital + INVESTMENT.residents;
    expect(ev.funding).toEqual({
      currency: 'CNY',
      investment: { ...INVESTMENT, total },
      shares: { government: 0.6, socialCapital: 0.3, residents: 0.1 },
    });
    const months = ['2026-07', '2026-08', '2026-09'];
    const nets = months.map(monthNet);
    const cumulative = nets.map((_, i) => nets.slice(0, i + 1).reduce((a, b) => a + b, 0));
    expect(ev.payback.months).toEqual(
      months.map((month, i) => ({
        month,
        net: nets[i]! / 100,
        cumulative: cumulative[i]! / 100,
        recoveredShare: cumulative[i]! / (INVESTMENT.socialCapital * 100),
      })),
    );
    const left = INVESTMENT.socialCapital * 100 - cumulative[2]!;
    expect(left).toBeGreaterThan(0);
    const monthsMore = Math.ceil(left / (cumulative[2]! / 3));
    const index = 2026 * 12 + 8 + monthsMore; // September 2026 is month index 8 of 2026
    const projected = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
    expect(ev.payback).toMatchObject({
      start: '2026-07',
      deadline: '2029-06',
      cumulative: cumulative[2]! / 100,
      recoveredIn: null,
      projectedRecovery: projected,
      reason: null,
      withinThreeYears: null,
    });
    // The picture of today, by contrast, is recovered in October.
    const now = await gatherReport(deps, S, 'quarter', '2026-10-01');
    expect(now.evaluation!.payback.recoveredIn).toBe('2026-10');
    expect(now.evaluation!.payback.withinThreeYears).toBe(true);
    expect(now.evaluation!.satisfaction).toMatchObject({ wave: '2026-Q4', rate: 1, met: true });
    // The year's report judges the same as of its end.
    const year = await gatherReport(deps, S, 'year', '2026-03-01');
    expect(year.evaluation).toMatchObject({
      asOf: { day: '2026-12-31', month: '2026-12' },
      satisfaction: { wave: '2026-Q4', gain: 1 },
      payback: { start: '2026-07', recoveredIn: '2026-10', withinThreeYears: true },
    });
  });

  it('says why a value is missing: only the baseline wave, no payback month yet', async () => {
    const r = await gatherReport(deps, S, 'quarter', '2026-01-01');
    expect(r.evaluation!.satisfaction).toMatchObject({
      wave: '2026-Q1',
      rate: 0.5,
      gain: null,
      met: null,
      reason: 'no_gain',
    });
    // The clock starts with the first deposit (2026-07): at the end of March it has no month.
    expect(r.evaluation!.payback).toMatchObject({
      start: null,
      cumulative: null,
      months: [],
      reason: 'no_complete_months',
      withinThreeYears: null,
    });
    const before = await gatherReport(deps, S, 'quarter', '2025-10-01');
    expect(before.evaluation!.satisfaction).toMatchObject({ wave: null, reason: 'no_waves', waves: [] });
  });

  it('renders the scorecard first, in both languages; a day report has none', async () => {
    const r = await gatherReport(deps, S, 'quarter', '2026-07-01');
    const en = renderMarkdown(r, { lang: 'en' });
    const zh = renderMarkdown(r, { lang: 'zh-CN' });
    expect(en.indexOf('## Programme evaluation')).toBeGreaterThan(0);
    expect(en.indexOf('## Programme evaluation')).toBeLessThan(en.indexOf('## KPIs'));
    expect(en).toContain('| Resident satisfaction gain | +40.0% | ≥ +30.0% (a rate of 65.0%) | met |');
    expect(en).toContain('| Social capital | CN¥30,000.00 | 30.0% |');
    expect(zh.indexOf('## 项目评估')).toBeLessThan(zh.indexOf('## 指标'));
    expect(zh).toContain('| 居民满意度提升 | +40.0% | ≥ +30.0%（满意率 65.0%） | 达标 |');
    const html = renderHtml(r, { lang: 'en' });
    expect(html.indexOf('class="evaluation"')).toBeLessThan(html.indexOf('class="kpi-chart"'));
    const day = await gatherReport(deps, S, 'day', '2026-09-30');
    expect(day.evaluation).toBeNull();
    expect(renderMarkdown(day, { lang: 'en' })).not.toContain('Programme evaluation');
  });

  it('the report stage builds the quarter report with its scorecard', async () => {
    const dataDir = testDir('hub-report-eval-');
    const { logger } = captureLogs();
    const stage = new ReportStage({
      dataDir,
      conn: deps.conn,
      inventory: deps.inventory,
      kpi: deps.config,
      deadLetters: deps.deadLetters,
      settings: { ...REPORT_CONFIG, pdf: false, periods: ['quarter'] },
      evaluation: EVALUATION,
      logger,
      now: () => NOW,
    });
    await stage.start();
    stage.periodComputed({ site: S, period: periodOf('quarter', '2026-07-01', TZ), reason: 'close' });
    await expect.poll(() => stage.stats().built, { timeout: 60_000 }).toBe(1);
    await stage.stop({ deadline: Date.now() + 5_000 });
    const kept = JSON.parse(
      await readFile(join(dataDir, 'reports', S, 'quarter-2026-07-01.json'), 'utf8'),
    ) as ReportData;
    expect(kept.evaluation!.satisfaction).toMatchObject({ wave: '2026-Q3', rate: 0.7 });
    expect(kept.evaluation!.payback.months.map((m) => m.month)).toEqual(['2026-07', '2026-08', '2026-09']);
    expect(await readFile(join(dataDir, 'reports', S, 'quarter-2026-07-01.md'), 'utf8')).toContain('## 项目评估');
  }, 90_000);
});
