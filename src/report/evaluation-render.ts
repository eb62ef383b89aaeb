/**
 * The evaluation scorecard as text (docs/contract.md §5, "Evaluation scorecard"): its rows, the
 * funding split, the survey waves and the payback months, shared by the Markdown and the HTML
 * renderers, which put it first, under "项目评估" / "Programme evaluation". Numbers, money and
 * percentages through `Intl` (format.ts); null reasons stay ids, as elsewhere in the report.
 */
import type { ReportData } from './build.ts';
import type { EvaluationItem, EvaluationScorecard } from './evaluation.ts';
import { count, money, percent, showMet, showTarget, showValue, signedPercent } from './format.ts';
import { labelsOf, type ReportLanguage } from './i18n.ts';

/** One row of the scorecard table: its id, its cells and whether it was met. */
export interface ScorecardRow {
  id: EvaluationItem;
  met: boolean | null;
  cells: string[];
}

const pct = (v: number | null, lang: ReportLanguage): string => (v === null ? '—' : percent(v, lang));

function satisfactionRow(ev: EvaluationScorecard, lang: ReportLanguage): ScorecardRow {
  const l = labelsOf(lang);
  const s = ev.satisfaction;
  const detail: string[] = [];
  if (s.wave !== null) {
    const base = s.baseline === null ? '—' : `${s.baseline} ${pct(s.baselineRate, lang)}`;
    detail.push(l.ev.wave(s.wave, s.date ?? '—', pct(s.rate, lang), base));
  }
  if (s.reason !== null) detail.push(`${l.noValue}${l.colon}${s.reason}`);
  return {
    id: 'satisfaction_gain',
    met: s.met,
    cells: [
      ev.titles.satisfaction_gain[lang],
      s.gain === null ? '—' : signedPercent(s.gain, lang),
      l.ev.gainTarget(percent(s.target, lang), pct(s.targetRate, lang)),
      showMet(s, lang),
      detail.join(l.stop),
    ],
  };
}

function paybackRow(ev: EvaluationScorecard, lang: ReportLanguage): ScorecardRow {
  const l = labelsOf(lang);
  const p = ev.payback;
  const inv = ev.funding.investment;
  const detail: string[] = [];
  if (p.cumulative !== null && inv !== null && p.recoveredShare !== null)
    detail.push(
      l.ev.recovered(percent(p.recoveredShare, lang), money(p.cumulative, lang), money(inv.socialCapital, lang)),
    );
  if (p.recoveredIn !== null) detail.push(l.ev.recoveredIn(p.recoveredIn));
  if (p.projectedRecovery !== null) detail.push(l.ev.projected(p.projectedRecovery));
  if (p.reason !== null) detail.push(`${l.noValue}${l.colon}${p.reason}`);
  const open = inv !== null && p.deadline !== null && p.withinThreeYears === null;
  return {
    id: 'payback',
    met: p.withinThreeYears,
    cells: [
      ev.titles.payback[lang],
      pct(p.recoveredShare, lang),
      p.deadline === null ? '—' : l.ev.within(p.deadline),
      open ? l.ev.open : showMet({ met: p.withinThreeYears }, lang),
      detail.join(l.comma),
    ],
  };
}

/** The rows of the scorecard table: coverage, satisfaction, diversion, CO₂e, recyclables, payback. */
export function scorecardRows(ev: EvaluationScorecard, lang: ReportLanguage): ScorecardRow[] {
  const l = labelsOf(lang);
  const kpi = (id: EvaluationScorecard['kpis'][number]['kpi']): ScorecardRow => {
    const k = ev.kpis.find((x) => x.kpi === id)!;
    return {
      id,
      met: k.met,
      cells: [
        ev.titles[id][lang],
        showValue(k.unit, k.value, lang),
        showTarget(k, lang),
        showMet(k, lang),
        k.reason === null ? '' : `${l.noValue}${l.colon}${k.reason}`,
      ],
    };
  };
  return [
    kpi('sorting_coverage'),
    satisfactionRow(ev, lang),
    kpi('diversion_rate'),
    kpi('co2e_avoided_kg'),
    kpi('recyclables_kg'),
    paybackRow(ev, lang),
  ];
}

/** The rows of the funding table (none without an investment). */
export function fundingRows(ev: EvaluationScorecard, lang: ReportLanguage): string[][] {
  const { investment: inv, shares } = ev.funding;
  if (inv === null || shares === null) return [];
  const p = labelsOf(lang).ev.parties;
  return [
    [p.government, money(inv.government, lang), percent(shares.government, lang)],
    [p.socialCapital, money(inv.socialCapital, lang), percent(shares.socialCapital, lang)],
    [p.residents, money(inv.residents, lang), percent(shares.residents, lang)],
    [p.total, money(inv.total, lang), percent(1, lang)],
  ];
}

/** The rows of the survey-wave table. */
export function waveRows(ev: EvaluationScorecard, lang: ReportLanguage): string[][] {
  return ev.satisfaction.waves.map((w) => [
    w.wave,
    w.date,
    count(w.responses, lang),
    pct(w.satisfactionRate, lang),
    w.gain === null ? '—' : signedPercent(w.gain, lang),
    showMet(w, lang),
  ]);
}

/** The rows of the payback-month table. */
export function monthRows(ev: EvaluationScorecard, lang: ReportLanguage): string[][] {
  return ev.payback.months.map((m) => [
    m.month,
    money(m.net, lang),
    money(m.cumulative, lang),
    pct(m.recoveredShare, lang),
  ]);
}

/** The scorecard of `r` as Markdown lines (none for a report without one); `table` is markdown.ts's. */
export function evaluationMarkdown(
  r: ReportData,
  lang: ReportLanguage,
  table: (head: string[], rows: string[][], none: string) => string,
): string[] {
  const ev = r.evaluation;
  if (!ev) return [];
  const l = labelsOf(lang);
  return [
    `## ${l.ev.title}`,
    '',
    l.ev.intro(ev.asOf.day),
    '',
    table(
      l.ev.head,
      scorecardRows(ev, lang).map((row) => row.cells),
      l.none,
    ),
    `### ${l.ev.funding}`,
    '',
    table(l.ev.fundingHead, fundingRows(ev, lang), l.none),
    `### ${l.ev.waves}`,
    '',
    table(l.ev.waveHead, waveRows(ev, lang), l.none),
    `### ${l.ev.months}`,
    '',
    table(l.ev.monthHead, monthRows(ev, lang), l.none),
  ];
}
