/**
 * A monitoring report as Markdown (docs/contract.md §5: reports are served "as JSON, Markdown and
 * HTML"), in the language asked for: KPI titles and labels from i18n.ts, numbers and dates with
 * `Intl` in the site's time zone (format.ts).
 */
import type { ReportData } from './build.ts';
import {
  count,
  dateRange,
  dateTime,
  langOf,
  percent,
  showChange,
  showMet,
  showStatus,
  showTarget,
  showValue,
  type RenderOptions,
} from './format.ts';
import { evaluationMarkdown } from './evaluation-render.ts';
import { kpiTitle, labelsOf, type ReportLanguage } from './i18n.ts';

/** One Markdown table cell: pipes and line breaks escaped, HTML-ish characters neutralised. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: string[][], none: string): string {
  if (rows.length === 0) return `_${none}_\n`;
  const line = (r: string[]): string => `| ${r.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}

/** The title line shared by the renderers. */
export function titleOf(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  return l.title(r.site, r.period.kind, r.period.kind === 'month' ? r.period.date.slice(0, 7) : r.period.date);
}

/** The lines under the title: period, state, households, comparison, generation time. */
export function introOf(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  const tz = r.timezone;
  const sentences = [
    l.periodLine(
      dateRange(r.period.start, r.period.end, tz, lang),
      r.timezone,
      r.period.complete ? l.complete : l.running,
    ),
    l.households(count(r.households, lang)),
    l.comparedWith(l.kinds[r.period.kind], dateRange(r.previousPeriod.start, r.previousPeriod.end, tz, lang)),
    l.generated(dateTime(r.generatedAt, tz, lang)),
  ];
  return sentences.join(l.stop) + l.stop.trim();
}

/** The rows of the KPI table (shared with the HTML). */
export function kpiRows(r: ReportData, lang: ReportLanguage): string[][] {
  return r.kpis.map((k) => [
    kpiTitle(k.kpi, lang),
    showValue(k.unit, k.value, lang),
    showTarget(k, lang),
    showMet(k, lang),
    showValue(k.unit, k.previous, lang),
    showChange(k, lang),
    k.denominator === null ? count(k.numerator, lang) : `${count(k.numerator, lang)} / ${count(k.denominator, lang)}`,
    showStatus(k, lang),
  ]);
}

/** The rows of the building table (shared with the HTML). */
export function buildingRowsOf(r: ReportData, lang: ReportLanguage): string[][] {
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : percent(v, lang));
  const n = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : count(v, lang));
  return r.buildings.map((b) => [
    b.building,
    n(b.households),
    `${pct(b.sorting_coverage?.value)}${b.sorting_coverage?.met === false ? ' ✗' : ''}`,
    n(b.sorting_coverage?.numerator),
    n(b.sorting_coverage?.needed),
    pct(b.participation_rate?.value),
    n(b.participation_rate?.numerator),
  ]);
}

/** The sentence of the households the whole site still needs. */
export function siteNeededOf(r: ReportData, lang: ReportLanguage): string {
  const n = (v: number | null): string => (v === null ? '—' : count(v, lang));
  return labelsOf(lang).siteNeeded(n(r.householdsNeeded.sorting_coverage), n(r.householdsNeeded.participation_rate));
}

/** The coverage target as shown in the building section's intro. */
export function coverageTarget(r: ReportData, lang: ReportLanguage): string {
  const k = r.kpis.find((x) => x.kpi === 'sorting_coverage');
  return k ? showTarget(k, lang) : '—';
}

function trendTable(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  const series = r.trend.series;
  const dates = series[0]?.points.map((p) => p.date) ?? [];
  const rows = dates.map((date, i) => {
    const running = series.some((s) => s.points[i]?.complete === false && s.points[i]?.value !== null);
    return [
      `${date}${running ? l.runningMark : ''}`,
      ...series.map((s) => showValue(s.unit, s.points[i]?.value ?? null, lang)),
    ];
  });
  return table([l.kinds[r.trend.kind], ...series.map((s) => kpiTitle(s.kpi, lang))], rows, l.none);
}

/** The report as Markdown, in `options.lang`. */
export function renderMarkdown(r: ReportData, options?: RenderOptions): string {
  const lang = langOf(options);
  const l = labelsOf(lang);
  const [strong, rest] = l.summary(r.summary.met, r.summary.notMet, r.summary.informative, r.summary.noValue);
  const out: string[] = [
    `# ${cell(titleOf(r, lang))}`,
    '',
    cell(introOf(r, lang)),
    '',
    `**${strong}**${l.comma}${rest}`,
    '',
    ...evaluationMarkdown(r, lang, table),
    `## ${l.sections.kpis}`,
    '',
    table(l.kpiHead, kpiRows(r, lang), l.none),
    `## ${l.sections.buildings}`,
    '',
    ...(r.buildings.length === 0
      ? [l.noBuildings, '']
      : [
          l.buildingsIntro(coverageTarget(r, lang)),
          '',
          table(l.buildingHead, buildingRowsOf(r, lang), l.none),
          siteNeededOf(r, lang),
          '',
        ]),
    `## ${l.sections.trend}`,
    '',
    l.trendIntro(r.trend.periods, r.trend.kind),
    '',
    trendTable(r, lang),
    `## ${l.sections.silent}`,
    '',
    l.silentIntro(count(r.silentAfterHours, lang)),
    '',
    table(l.silentHead, silentRows(r, lang), l.none),
    `## ${l.sections.fullBins}`,
    '',
    l.fullIntro,
    '',
    table(l.fullHead, fullRows(r, lang), l.none),
    `## ${l.sections.gates}`,
    '',
    table(l.gateHead, gateRows(r, lang), l.none),
    `## ${l.sections.quality}`,
    '',
    l.deadLetters(r.dataQuality.deadLetters),
    '',
    table(l.dlHead, dlRows(r, lang), l.none),
    table(l.warnHead, warnRows(r, lang), l.none),
  ];
  return out.join('\n');
}

/** Rows of the silent-device table. */
export function silentRows(r: ReportData, lang: ReportLanguage): string[][] {
  const l = labelsOf(lang);
  return r.silentDevices.map((d) => [
    d.device,
    d.type,
    d.building,
    d.lastHeard === null ? l.never : dateTime(d.lastHeard, r.timezone, lang),
    d.silentHours === null ? '—' : count(d.silentHours, lang),
  ]);
}

/** Rows of the full-bin table. */
export function fullRows(r: ReportData, lang: ReportLanguage): string[][] {
  return r.fullBins.map((b) => [b.device, ...[b.fullReadings, b.overflowAlarms, b.total].map((n) => count(n, lang))]);
}

/** Rows of the gate table. */
export function gateRows(r: ReportData, lang: ReportLanguage): string[][] {
  return r.alarmingGates.map((g) => [
    g.device,
    ...[g.forced_open, g.tailgating, g.climbing, g.total].map((n) => count(n, lang)),
  ]);
}

/** Rows of the dead-letter table. */
export function dlRows(r: ReportData, lang: ReportLanguage): string[][] {
  return r.dataQuality.deadLettersByReason.map((d) => [d.reason, count(d.count, lang)]);
}

/** Rows of the KPI-warning table. */
export function warnRows(r: ReportData, lang: ReportLanguage): string[][] {
  return r.dataQuality.kpiWarnings.map((w) => [kpiTitle(w.kpi, lang), w.warning]);
}
