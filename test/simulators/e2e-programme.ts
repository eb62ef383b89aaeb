/**
 * What test/simulators/e2e.test.ts adds for the programme evaluation (dashboards/programme-evaluation.yaml,
 * docs/contract.md §5): the scenario's survey waves uploaded through the API, the KPIs of every
 * simulated period stored as the scheduler stores them, and the stored amounts and the survey
 * panels' answers compared with the simulator's ledger (the independent ground truth).
 */
import { expect } from 'vitest';
import { buildDashboards, expandQuery } from '../../src/dashboards/index.ts';
import { computeKpiSet, writeKpiResults } from '../../src/kpi/index.ts';
import { InfluxPointWriter, query } from '../../src/store/index.ts';
import type { LedgerFile, Scenario } from '../../simulators/index.ts';
import type { PeriodKpis } from '../../simulators/kpi.ts';
import { dashboardModel, dataPanels } from '../dashboards/grafana-model.ts';
import type { SimHub } from './helpers.ts';

/** The kinds of period whose KPIs are stored: the default kpi.periods, and the opt-in quarter and year. */
export const STORED = ['day', 'week', 'month', 'quarter', 'year'] as const;
type Kind = (typeof STORED)[number];

/** The ledger's survey answers, each wave of each site as one upload through the API (docs/contract.md §6). */
export async function uploadSurveys(
  sim: SimHub,
  ledger: LedgerFile,
  scenario: Scenario,
  adminKey: string,
): Promise<void> {
  for (const [site, s] of Object.entries(ledger.surveys!)) {
    for (const w of scenario.surveys!.waves) {
      const res = await fetch(`${sim.httpUrl}/api/v1/sites/${site}/surveys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          wave: w.wave,
          date: w.date,
          responses: s.answers[w.wave]!.map(([household, score]) => ({ household, score })),
        }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
    }
  }
}

/**
 * The ledger's periods of `kind` (day, week, month) by their first local day; for a quarter and a
 * year the simulated month: every simulated deposit lies in it (checked), so their sums are its sums.
 */
export function ledgerPeriods(ledger: LedgerFile, site: string, kind: Kind): Array<[string, PeriodKpis]> {
  const k = ledger.kpis[site]!;
  if (kind === 'day' || kind === 'week' || kind === 'month') return Object.entries(k[kind]);
  expect(Object.keys(k.month), `${site}: the window lies in one month`).toHaveLength(1);
  return Object.entries(k.month);
}

/**
 * Store every KPI of the simulated periods of every kind in {@link STORED}, as the scheduler or
 * `kpi compute` does: site-wide, and per building at a site with a roster.
 */
export async function storeSimulatedKpis(
  sim: SimHub,
  scenario: Scenario,
  ledger: LedgerFile,
  now: () => number,
): Promise<void> {
  const deps = {
    conn: sim.influx,
    inventory: sim.loaded.inventory,
    config: sim.loaded.config.kpi,
    evaluation: sim.loaded.config.evaluation,
    now,
  };
  const writer = new InfluxPointWriter(sim.influx);
  for (const site of scenario.sites) {
    for (const kind of STORED) {
      for (const [date] of ledgerPeriods(ledger, site.id, kind)) {
        const set = await computeKpiSet(deps, site.id, kind, date);
        await writeKpiResults(sim.influx, writer, [...set.site, ...set.buildings]);
      }
    }
  }
  await writer.close();
}

/** The stored `recyclables_kg`, `diversion_rate` and `co2e_avoided_kg` of every period equal the ledger's. */
export async function expectStoredBenefit(sim: SimHub, scenario: Scenario, ledger: LedgerFile): Promise<void> {
  for (const site of scenario.sites) {
    for (const kind of STORED) {
      for (const kpi of ['recyclables_kg', 'diversion_rate', 'co2e_avoided_kg'] as const) {
        // What the programme evaluation's panels read: the site-wide point, stamped at the period's start (§4).
        const rows = await query(
          sim.influx,
          `SELECT "value", "numerator", "denominator" FROM "kpi" WHERE "site" = '${site.id}' AND "building" = '' ` +
            `AND "kpi" = '${kpi}' AND "period" = '${kind}'`,
          { epoch: 'ms' },
        );
        // The hub's own scheduler may store more days (it runs too); quarters and years only the test.
        const long = kind === 'quarter' || kind === 'year';
        if (long) expect(rows.length, `${site.id} ${kind} ${kpi} points`).toBe(1);
        for (const [date, p] of ledgerPeriods(ledger, site.id, kind)) {
          const at = `${site.id} ${kind} ${date} ${kpi}`;
          const mine = p.kpis[kpi];
          const row = long ? rows[0] : rows.find((r) => r.values['time'] === Date.parse(p.start));
          expect(row, at).toBeDefined();
          if (long) expect(Number(row!.values['time']), at).toBeLessThanOrEqual(Date.parse(p.start));
          expect(row!.values['numerator'], at).toBe(mine.numerator);
          expect(row!.values['denominator'] ?? null, at).toBe(mine.denominator);
          if (mine.value === null) expect(row!.values['value'] ?? null, at).toBeNull();
          else if (kpi === 'diversion_rate') expect(row!.values['value'], at).toBeCloseTo(mine.value, 12);
          else expect(row!.values['value'], at).toBe(mine.value);
        }
      }
    }
  }
  // The scenario's factors give CO₂e values, and recyclables were deposited: the check compares numbers.
  for (const site of scenario.sites) {
    const month = ledgerPeriods(ledger, site.id, 'month')[0]![1].kpis;
    expect(month.co2e_avoided_kg.value, site.id).toBeGreaterThan(0);
    expect(month.recyclables_kg.value, site.id).toBeGreaterThan(0);
  }
}

/**
 * The programme evaluation's survey table and share, queried as Grafana would over `between`
 * (epoch ms), show each site's waves as the ledger summarises them (responses, satisfied = score
 * ≥ 4, the mean of the answers, the satisfaction rate).
 */
export async function expectSurveyPanels(
  sim: SimHub,
  ledger: LedgerFile,
  between: { from: number; to: number },
): Promise<void> {
  const evaluation = buildDashboards('dashboards').find((b) => b.name === 'programme-evaluation')!;
  const byTitle = new Map(dataPanels(dashboardModel.parse(evaluation.json)).map((p) => [p.title, p]));
  const table = byTitle.get('Survey waves (responses, satisfied = score ≥ 4, mean score)')!.targets[0]!.query;
  const share = byTitle.get('Satisfied share per wave (score ≥ 4)')!.targets[0]!.query;
  for (const [site, s] of Object.entries(ledger.surveys!)) {
    const view = { between, interval: '1h', variables: { site } };
    const rows = await query(sim.influx, expandQuery(table, view));
    const shares = await query(sim.influx, expandQuery(share, view));
    expect(
      rows.map((r) => [r.tags['wave'], r.values['responses'], r.values['satisfied']]),
      site,
    ).toEqual(s.waves.map((w) => [w.wave, w.responses, w.satisfied]));
    for (const w of s.waves) {
      const scores = s.answers[w.wave]!.map(([, score]) => score);
      const mean = scores.reduce((a, x) => a + x, 0) / scores.length;
      const at = `${site} ${w.wave}`;
      expect(rows.find((r) => r.tags['wave'] === w.wave)!.values['mean score'], at).toBeCloseTo(mean, 12);
      expect(shares.find((r) => r.tags['wave'] === w.wave)!.values['satisfied'], at).toBeCloseTo(
        w.satisfactionRate!,
        12,
      );
    }
  }
}
