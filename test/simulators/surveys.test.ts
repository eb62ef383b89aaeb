/**
 * Resident satisfaction surveys against the simulator's ledger: the community of
 * simulators/scenarios/surveys.yaml (a site with a roster by building, one without; four waves,
 * answers drawn per sorting habit, some household ids sent in another spelling) is uploaded to a
 * real hub over HTTP, each wave in two uploads, and the hub's summary must equal the ledger's,
 * computed independently of src/ (simulators/surveys.ts), baseline from the inventory included.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurveySummary } from '../../src/kpi/index.ts';
import { dryRun, loadScenario, resolveWindow, type LedgerFile, type Scenario } from '../../simulators/index.ts';
import { dropDatabase } from '../e2e/helpers.ts';
import { startSimHub, type SimHub } from './helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/surveys.yaml', import.meta.url));
const ADMIN = 'sim-survey-admin-key-0123456789';
const OPERATOR = 'sim-survey-operator-key-0123456789';

let scenario: Scenario;
let ledger: LedgerFile;
let sim: SimHub;

beforeAll(async () => {
  scenario = loadScenario(SCENARIO);
  ledger = dryRun(scenario, resolveWindow(scenario), 'none');
  sim = await startSimHub(scenario, {
    kpi: false,
    operatorKey: OPERATOR,
    extra: { adminKey: ADMIN, evaluation: { targets: { satisfactionGain: scenario.surveys!.target } } },
  });
});
afterAll(async () => {
  if (sim) {
    await dropDatabase(sim.influx);
    await sim.stop();
  }
});

async function call(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  return fetch(`${sim.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('surveys of the simulated community', { timeout: 120_000 }, () => {
  it('the hub summarises the uploaded waves as the ledger does', async () => {
    const surveys = ledger.surveys!;
    expect(Object.keys(surveys).sort()).toEqual(scenario.sites.map((s) => s.id).sort());
    for (const [site, s] of Object.entries(surveys)) {
      for (const w of scenario.surveys!.waves) {
        const answers = s.answers[w.wave]!;
        const half = Math.ceil(answers.length / 2);
        for (const part of [answers.slice(0, half), answers.slice(half)]) {
          if (part.length === 0) continue;
          const responses = part.map(([household, score]) => ({ household, score }));
          const res = await call('POST', `/api/v1/sites/${site}/surveys`, ADMIN, {
            wave: w.wave,
            date: w.date,
            responses,
          });
          expect(res.status, await res.clone().text()).toBe(200);
        }
      }
      const res = await call('GET', `/api/v1/sites/${site}/surveys`, OPERATOR);
      expect(res.status).toBe(200);
      const got = (await res.json()) as SurveySummary;
      expect(got.baseline).toBe(s.baseline);
      expect(got.baselineFrom).toBe('inventory');
      expect(got.waves.map((w) => w.wave)).toEqual(s.waves.map((w) => w.wave));
      s.waves.forEach((want, i) => {
        const w = got.waves[i]!;
        expect({ ...w, gain: null }).toEqual({ ...want, gain: null });
        if (want.gain === null) expect(w.gain).toBeNull();
        else expect(w.gain).toBeCloseTo(want.gain, 12);
      });
    }
    // The scenario is one where the comparison means something: gains both met and not met.
    const met = Object.values(surveys).flatMap((s) => s.waves.map((w) => w.met));
    expect(met).toContain(true);
    expect(met).toContain(false);
  });
});
