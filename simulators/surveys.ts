/**
 * Resident satisfaction surveys of the simulated community (scenario `surveys`, docs/contract.md
 * §5): which registered households answer each wave and with which score, drawn per habit from
 * their own seeded streams (the message stream does not change), and the summary the hub must
 * answer for them, computed here independently of src/ as the rest of the ledger is.
 */
import { householdKey } from './kpi.ts';
import { chance, stream, weightedIndex } from './random.ts';
import type { Scenario } from './scenario/load.ts';
import { buildWorld } from './world.ts';

/** One wave of a site in the ledger. */
export interface LedgerWave {
  wave: string;
  date: string;
  responses: number;
  respondents: number;
  satisfied: number;
  /** respondents ÷ roster households; null at a site without a roster. */
  responseRate: number | null;
  satisfactionRate: number | null;
  gain: number | null;
  met: boolean | null;
}

/** A site's surveys in the ledger: what to upload and what the hub must summarise. */
export interface LedgerSurveys {
  baseline: string | null;
  target: number;
  waves: LedgerWave[];
  /** Per wave, the answers as uploaded: [household id as its card sends it, score]. */
  answers: Record<string, Array<[string, number]>>;
}

/** The surveys of every site of `scenario`, or undefined when it has none. */
export function surveyLedger(scenario: Scenario): Record<string, LedgerSurveys> | undefined {
  const surveys = scenario.surveys;
  if (!surveys) return undefined;
  const out: Record<string, LedgerSurveys> = {};
  for (const sw of buildWorld(scenario).sites) {
    // Only registered households answer: the hub refuses an upload with a household outside the roster.
    const households = sw.households.filter((h) => h.registered);
    const answers: Record<string, Array<[string, number]>> = {};
    for (const w of surveys.waves) {
      const list: Array<[string, number]> = [];
      for (const h of households) {
        const rng = stream(scenario.seed, 'survey', sw.site.id, w.wave, h.id);
        if (chance(rng, w.respond)) list.push([h.sent, weightedIndex(rng, w.scores[h.habit]) + 1]);
      }
      answers[w.wave] = list;
    }
    const rosterSize = sw.site.roster ? households.length : null;
    out[sw.site.id] = summarise(surveys, answers, rosterSize);
  }
  return out;
}

function summarise(
  surveys: NonNullable<Scenario['surveys']>,
  answers: Record<string, Array<[string, number]>>,
  rosterSize: number | null,
): LedgerSurveys {
  const counted = surveys.waves
    .filter((w) => answers[w.wave]!.length > 0)
    .map((w) => {
      const byHousehold = new Map(answers[w.wave]!.map(([id, score]) => [householdKey(id), score]));
      const scores = [...byHousehold.values()];
      return { wave: w.wave, date: w.date, n: scores.length, s: scores.filter((x) => x >= 4).length };
    })
    .sort((a, b) => (a.date === b.date ? a.wave.localeCompare(b.wave) : a.date.localeCompare(b.date)));
  const baseline = surveys.baselineWave ?? counted[0]?.wave ?? null;
  const base = counted.find((w) => w.wave === baseline);
  // The target as an exact fraction of millionths (0.3 → 300000/1000000), compared in integers.
  const p = BigInt(Math.round(surveys.target * 1_000_000));
  const q = 1_000_000n;
  return {
    baseline,
    target: surveys.target,
    waves: counted.map((w) => {
      const comparable = base !== undefined && base.wave !== w.wave && base.s > 0;
      return {
        wave: w.wave,
        date: w.date,
        responses: w.n,
        respondents: w.n,
        satisfied: w.s,
        responseRate: rosterSize ? w.n / rosterSize : null,
        satisfactionRate: w.s / w.n,
        gain: comparable ? w.s / w.n / (base.s / base.n) - 1 : null,
        met: comparable ? q * BigInt(w.s) * BigInt(base.n) >= (p + q) * BigInt(w.n) * BigInt(base.s) : null,
      };
    }),
    answers,
  };
}
