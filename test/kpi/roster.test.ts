/**
 * Household rosters end to end: the community of simulators/scenarios/roster-week.yaml (two sites
 * with rosters written by the simulator beside the inventory, households outside them, registered
 * households whose cards send their id in another spelling) is sent over MQTT to an in-process hub
 * and stored in the real InfluxDB; the hub computes and stores every day and the week, and every
 * site-wide and per-building point of sorting_coverage and participation_rate, read back from
 * InfluxDB, must equal the simulator's ledger (computed independently of src/), `unregistered`
 * included (src/kpi/README.md, "Rosters").
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_BUILDINGS, KPI_IDS, readKpiResults, recomputeKpis, type KpiResult } from '../../src/kpi/index.ts';
import { InfluxPointWriter, query } from '../../src/store/index.ts';
import {
  loadScenario,
  resolveWindow,
  simulate,
  type LedgerFile,
  type Scenario,
  type Window,
} from '../../simulators/index.ts';
import type { KpiValue, PeriodKpis } from '../../simulators/kpi.ts';
import { startSimHub, type SimHub } from '../simulators/helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/roster-week.yaml', import.meta.url));
const HOUSEHOLD_KPIS = ['sorting_coverage', 'participation_rate'] as const;
const OPERATOR_KEY = 'roster-test-operator-key-0123';

let scenario: Scenario;
let window: Window;
let sim: SimHub;
let ledger: LedgerFile;
let hubNow: () => number;
let writer: InfluxPointWriter;

beforeAll(async () => {
  scenario = loadScenario(SCENARIO);
  window = resolveWindow(scenario);
  const start = Date.now();
  hubNow = () => window.endMs + (Date.now() - start);
  sim = await startSimHub(scenario, { now: hubNow, kpi: false, operatorKey: OPERATOR_KEY });
  ({ ledger } = await simulate({ scenario, window, url: sim.url }));
  await sim.drained();
  writer = new InfluxPointWriter(sim.influx);
  const deps = {
    conn: sim.influx,
    inventory: sim.loaded.inventory,
    config: sim.loaded.config.kpi,
    writer,
    now: hubNow,
  };
  for (const site of scenario.sites)
    for (const kind of ['day', 'week'] as const)
      for (const [date, p] of Object.entries(ledger.kpis[site.id]![kind]))
        if (!p.partial) await recomputeKpis(deps, site.id, kind, date);
}, 180_000);

afterAll(async () => {
  await writer?.close();
  await sim?.stop();
});

/** The closed periods of a site and kind. */
function closed(site: string, kind: 'day' | 'week'): Array<[string, PeriodKpis]> {
  return Object.entries(ledger.kpis[site]![kind]).filter(([, p]) => !p.partial);
}

/** The stored results of a site and kind over the window (`building`: as readKpiResults takes it). */
function stored(site: string, kind: 'day' | 'week', building?: string): Promise<KpiResult[]> {
  return readKpiResults(sim.influx, sim.loaded.inventory, {
    site,
    period: kind,
    fromMs: window.startMs,
    toMs: window.endMs,
    kpis: [...HOUSEHOLD_KPIS],
    ...(building === undefined ? {} : { building }),
  });
}

function same(where: string, r: KpiResult | undefined, mine: KpiValue): void {
  expect(r, where).toBeDefined();
  expect(r!.numerator, where).toBe(mine.numerator);
  expect(r!.denominator, where).toBe(mine.denominator);
  if (mine.value === null) expect(r!.value, where).toBeNull();
  else expect(Math.abs(r!.value! - mine.value), `${where}: ${r!.value} vs ${mine.value}`).toBeLessThanOrEqual(1e-9);
  expect(r!.complete, where).toBe(true);
}

describe('household rosters: the hub against the ledger', () => {
  it('the rosters loaded: households from the CSV, buildings listed or implied, a content version', () => {
    const inv = sim.loaded.inventory;
    expect(inv.site('oak-court')).toMatchObject({
      households: 24,
      buildings: [
        { id: 'b1', households: 10 },
        { id: 'b2', households: 8 },
        { id: 'b3', households: 6 },
      ],
    });
    expect(inv.site('pine-row')).toMatchObject({ households: 10, buildings: [{ id: 'main', households: 10 }] });
    for (const s of scenario.sites) {
      expect(inv.roster(s.id)!.version).toMatch(/^[0-9a-f]{12}$/);
      // Pseudonyms only: no raw id is kept.
      for (const h of inv.roster(s.id)!.households.keys()) expect(h).toMatch(/^px_[0-9a-f]{16}$/);
    }
    expect(inv.roster('oak-court')!.version).not.toBe(inv.roster('pine-row')!.version);
  });

  it('no raw household id reached InfluxDB', async () => {
    const rows = await query(sim.influx, 'SELECT DISTINCT("household") FROM "deposit"');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(String(r.values['distinct'])).toMatch(/^px_[0-9a-f]{16}$/);
  });

  it('the scenario has teeth: unregistered ids deposited, and respelled ids count as their roster household', () => {
    const week = closed('oak-court', 'week')[0]![1];
    expect(week.kpis.participation_rate.unregistered).toBeGreaterThan(0);
    expect(closed('pine-row', 'week')[0]![1].kpis.participation_rate.unregistered).toBeGreaterThan(0);
    // Without the household id rule the respelled registered households would count as unregistered
    // and the numerators would be lower: the ledger's numerators need it (simulators/kpi.ts householdKey).
    expect(week.kpis.participation_rate.numerator).toBeGreaterThan(0);
  });

  for (const kind of ['week', 'day'] as const) {
    it(`every site-wide ${kind} point equals the ledger, unregistered and roster version included`, async () => {
      let compared = 0;
      for (const site of scenario.sites) {
        const version = sim.loaded.inventory.roster(site.id)!.version;
        const results = await stored(site.id, kind);
        for (const [date, p] of closed(site.id, kind)) {
          for (const kpi of HOUSEHOLD_KPIS) {
            const where = `${site.id} ${kind} ${date} ${kpi}`;
            const r = results.find((x) => x.date === date && x.kpi === kpi);
            same(where, r, p.kpis[kpi]);
            expect(r!.building, where).toBeUndefined();
            expect(r!.unregistered, where).toBe(p.kpis[kpi].unregistered);
            expect(r!.rosterVersion, where).toBe(version);
            const unregistered = (p.kpis[kpi].unregistered ?? 0) > 0;
            expect(r!.warnings.includes('unregistered_households'), where).toBe(unregistered);
            expect(r!.warnings, where).not.toContain('household_ids_unverified');
            compared++;
          }
        }
      }
      expect(compared).toBe(scenario.sites.length * 2 * (kind === 'week' ? 1 : 7));
    });

    it(`every per-building ${kind} point equals the ledger (building=* and building=ID)`, async () => {
      let compared = 0;
      for (const site of scenario.sites) {
        const all = await stored(site.id, kind, ALL_BUILDINGS);
        expect(all.every((r) => r.building !== undefined)).toBe(true);
        for (const [date, p] of closed(site.id, kind)) {
          const buildings = Object.keys(p.buildings!).sort();
          const stamped = all.filter((r) => r.date === date);
          expect([...new Set(stamped.map((r) => r.building!))].sort(), `${site.id} ${date}`).toEqual(buildings);
          for (const b of buildings) {
            for (const kpi of HOUSEHOLD_KPIS) {
              const where = `${site.id} ${kind} ${date} ${b} ${kpi}`;
              const r = stamped.find((x) => x.building === b && x.kpi === kpi);
              same(where, r, p.buildings![b]![kpi]);
              expect(r!.rosterVersion, where).toBe(sim.loaded.inventory.roster(site.id)!.version);
              compared++;
            }
          }
        }
        // One building alone: exactly its points.
        const b1 = site.id === 'oak-court' ? 'b1' : 'main';
        const one = await stored(site.id, kind, b1);
        expect(one.length).toBe(closed(site.id, kind).length * 2);
        expect(one.every((r) => r.building === b1)).toBe(true);
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  it('the buildings add up to the site: Σ building numerators = the site numerator', async () => {
    for (const site of scenario.sites) {
      const siteWide = await stored(site.id, 'week');
      const all = await stored(site.id, 'week', ALL_BUILDINGS);
      for (const kpi of HOUSEHOLD_KPIS) {
        const s = siteWide.find((r) => r.kpi === kpi)!;
        const parts = all.filter((r) => r.kpi === kpi && r.date === s.date);
        expect(parts.reduce((a, r) => a + r.numerator, 0)).toBe(s.numerator);
        expect(parts.reduce((a, r) => a + (r.denominator ?? 0), 0)).toBe(s.denominator);
      }
    }
  });

  it('the other KPIs carry the roster version too, and have no per-building points', async () => {
    const rows = await query(
      sim.influx,
      `SELECT "roster_version" FROM "kpi" WHERE "site" = 'oak-court' AND "period" = 'week' GROUP BY "kpi", "building"`,
    );
    const version = sim.loaded.inventory.roster('oak-court')!.version;
    const kpis = new Set<string>();
    for (const r of rows) {
      expect(r.values['roster_version']).toBe(version);
      if (r.tags['building']) expect(HOUSEHOLD_KPIS as readonly string[]).toContain(r.tags['kpi']);
      else kpis.add(r.tags['kpi']!);
    }
    expect(kpis.size).toBe(KPI_IDS.length);
  });

  it('the HTTP API serves them: site-wide by default, building=b1, building=*; OpenAPI lists the parameter', async () => {
    const get = async (query: string): Promise<{ status: number; body: { results: KpiResult[] } }> => {
      const r = await fetch(
        `${sim.httpUrl}/api/v1/sites/oak-court/kpis?period=week&from=2027-02-08&to=2027-02-15${query}`,
        {
          headers: { authorization: `Bearer ${OPERATOR_KEY}` },
        },
      );
      return { status: r.status, body: (await r.json()) as { results: KpiResult[] } };
    };
    const week = closed('oak-court', 'week')[0]![1];
    const site = await get('');
    expect(site.status).toBe(200);
    expect(site.body.results).toHaveLength(KPI_IDS.length);
    expect(site.body.results.every((r) => r.building === undefined)).toBe(true);
    const coverage = site.body.results.find((r) => r.kpi === 'sorting_coverage')!;
    expect(coverage).toMatchObject({
      numerator: week.kpis.sorting_coverage.numerator,
      unregistered: week.kpis.sorting_coverage.unregistered,
      rosterVersion: sim.loaded.inventory.roster('oak-court')!.version,
    });
    const b1 = await get('&building=b1');
    expect(b1.body.results.map((r) => [r.building, r.kpi, r.numerator])).toEqual([
      ['b1', 'sorting_coverage', week.buildings!['b1']!.sorting_coverage.numerator],
      ['b1', 'participation_rate', week.buildings!['b1']!.participation_rate.numerator],
    ]);
    const all = await get('&building=*');
    expect(all.body.results.map((r) => r.building)).toEqual(['b1', 'b1', 'b2', 'b2', 'b3', 'b3']);
    expect((await get('&building=Not%20An%20Id')).status).toBe(400);

    const doc = (await (await fetch(`${sim.httpUrl}/docs/json`)).json()) as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string }> } }>;
    };
    const params = doc.paths['/api/v1/sites/{site}/kpis']!.get!.parameters!;
    expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toContain('building');
  });
});
