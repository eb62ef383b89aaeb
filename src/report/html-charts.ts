/**
 * The inline SVG charts of the HTML report (docs/contract.md §5: "HTML (with charts)"), generated
 * here, no script: every text from data is escaped. Elements carry their data as attributes
 * (`data-kpi`, `data-value`, `data-target`, `data-building`, `data-date`) so a browser test can
 * check a chart against the JSON it was drawn from.
 *
 * - KPI chart: a bar per KPI with a value on its own scale (ratios 0–100%, counts 0–max) and a
 *   target line where it has one;
 * - trend: one small line chart per KPI over the trend's periods, the target as a dashed line, a
 *   running (not complete) period as a hollow point;
 * - buildings: a coverage bar per building, worst first, with the coverage target line.
 */
import type { ReportData, ReportKpi } from './build.ts';
import { percent, shortDate, showTarget, showValue } from './format.ts';
import { kpiTitle, labelsOf, type ReportLanguage } from './i18n.ts';
import type { TrendSeries } from './trend.ts';

/** `text` safe in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
const e = escapeHtml;

/** Colours of met, not met and informative values. */
export const COLOURS = { met: '#2e7d32', notMet: '#c62828', info: '#1565c0' };
const W = 760;
const LABEL = 190;
const PLOT = 470;
const ROW = 34;
const BAR = 20;
const fixed = (n: number): string => n.toFixed(1);
const colourOf = (met: boolean | null): string => (met === null ? COLOURS.info : met ? COLOURS.met : COLOURS.notMet);

/** The upper end of a KPI's scale. */
function scaleMax(unit: ReportKpi['unit'], ...values: Array<number | null>): number {
  const top = Math.max(1, ...values.map((v) => v ?? 0));
  return unit === 'ratio' ? top : top * 1.1;
}

/** The KPI chart: an SVG with a bar per KPI that has a value and a line per target. */
export function kpiChart(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  const h = r.kpis.length * ROW + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${e(l.sections.kpis)}">`,
  ];
  r.kpis.forEach((k, i) => {
    const y = 10 + i * ROW;
    const max = scaleMax(k.unit, k.value, k.target);
    const x = (v: number): number => LABEL + (Math.max(0, v) / max) * PLOT;
    const title = kpiTitle(k.kpi, lang);
    parts.push(`<text x="${LABEL - 8}" y="${y + BAR / 2 + 4}" text-anchor="end" class="label">${e(title)}</text>`);
    parts.push(`<rect class="track" x="${LABEL}" y="${y}" width="${PLOT}" height="${BAR}" fill="#eceff1"/>`);
    if (k.value === null) {
      parts.push(
        `<text x="${LABEL + 8}" y="${y + BAR / 2 + 4}" class="none">${e(l.noValue)}${e(l.colon)}${e(k.reason ?? '')}</text>`,
      );
    } else {
      const met = k.met === null ? '' : ` data-met="${k.met}"`;
      const shown = showValue(k.unit, k.value, lang);
      parts.push(
        `<rect class="bar" data-kpi="${e(k.kpi)}" data-value="${k.value}"${met} x="${LABEL}" y="${y}" width="${fixed(x(k.value) - LABEL)}" height="${BAR}" fill="${colourOf(k.met)}"><title>${e(title)}: ${e(shown)}</title></rect>`,
        `<text x="${LABEL + PLOT + 8}" y="${y + BAR / 2 + 4}" class="value">${e(shown)}</text>`,
      );
    }
    if (k.target !== null) {
      const tx = fixed(x(k.target));
      parts.push(
        `<line class="target" data-kpi="${e(k.kpi)}" data-target="${k.target}" x1="${tx}" x2="${tx}" y1="${y - 4}" y2="${y + BAR + 4}" stroke="#212121" stroke-width="2" stroke-dasharray="4 2"><title>${e(l.target)} ${e(showTarget(k, lang))}</title></line>`,
      );
    }
  });
  parts.push(`<text x="10" y="${r.kpis.length * ROW + 22}" class="legend">${e(l.chartLegend)}</text>`, '</svg>');
  return parts.join('\n');
}

const TW = 360;
const TH = 170;
const PAD = { left: 48, right: 12, top: 26, bottom: 30 };

/** One KPI's trend: a line through the periods with a value, the target dashed, running periods hollow. */
export function trendChart(s: TrendSeries, r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  const target = [...s.points].reverse().find((p) => p.target !== null)?.target ?? null;
  const max = scaleMax(s.unit, target, ...s.points.map((p) => p.value));
  const n = s.points.length;
  const pw = TW - PAD.left - PAD.right;
  const ph = TH - PAD.top - PAD.bottom;
  const x = (i: number): number => PAD.left + (n <= 1 ? pw / 2 : (i / (n - 1)) * pw);
  const y = (v: number): number => PAD.top + ph - (Math.max(0, v) / max) * ph;
  const fmt = (v: number): string => (s.unit === 'ratio' ? percent(v, lang) : showValue(s.unit, v, lang));
  const title = kpiTitle(s.kpi, lang);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" data-kpi="${e(s.kpi)}" width="${TW}" height="${TH}" viewBox="0 0 ${TW} ${TH}" role="img" aria-label="${e(title)}">`,
    `<text x="${PAD.left}" y="16" class="chart-title">${e(title)}</text>`,
    `<line class="axis" x1="${PAD.left}" x2="${PAD.left + pw}" y1="${PAD.top + ph}" y2="${PAD.top + ph}" stroke="#90a4ae"/>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + ph + 4}" text-anchor="end" class="tick">${e(fmt(0))}</text>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end" class="tick">${e(fmt(s.unit === 'ratio' ? max : Math.round(max)))}</text>`,
  ];
  for (const i of n > 1 ? [0, n - 1] : [0]) {
    const p = s.points[i]!;
    const label = shortDate(p.start, r.timezone, lang, r.trend.kind);
    parts.push(
      `<text x="${fixed(x(i))}" y="${TH - 10}" text-anchor="${i === 0 && n > 1 ? 'start' : 'end'}" class="tick">${e(label)}</text>`,
    );
  }
  if (target !== null) {
    parts.push(
      `<line class="target" data-kpi="${e(s.kpi)}" data-target="${target}" x1="${PAD.left}" x2="${PAD.left + pw}" y1="${fixed(y(target))}" y2="${fixed(y(target))}" stroke="#212121" stroke-width="1.5" stroke-dasharray="5 3"><title>${e(l.target)} ${e(fmt(target))}</title></line>`,
    );
  }
  // A gap (no value) breaks the line: a polyline per run of consecutive values.
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 1)
      parts.push(
        `<polyline class="trend-line" fill="none" stroke="${COLOURS.info}" stroke-width="2" points="${run.join(' ')}"/>`,
      );
    run = [];
  };
  s.points.forEach((p, i) => {
    if (p.value === null) return flush();
    run.push(`${fixed(x(i))},${fixed(y(p.value))}`);
  });
  flush();
  s.points.forEach((p, i) => {
    if (p.value === null) return;
    const colour = colourOf(p.met);
    const fill = p.complete ? colour : '#ffffff';
    const state = p.complete ? '' : l.runningMark;
    parts.push(
      `<circle class="point${p.complete ? '' : ' running'}" data-kpi="${e(s.kpi)}" data-date="${e(p.date)}" data-value="${p.value}" data-complete="${p.complete}" cx="${fixed(x(i))}" cy="${fixed(y(p.value))}" r="3.5" fill="${fill}" stroke="${colour}" stroke-width="1.5"><title>${e(p.date)}: ${e(fmt(p.value))}${e(state)}</title></circle>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The building chart: a coverage bar per building (worst first) and the coverage target line. */
export function buildingChart(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  const rows = r.buildings.filter((b) => b.sorting_coverage !== null);
  const h = rows.length * ROW + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="building-chart" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${e(l.sections.buildings)}">`,
  ];
  const x = (v: number): number => LABEL + (Math.max(0, Math.min(v, 1)) / 1) * PLOT;
  rows.forEach((b, i) => {
    const k = b.sorting_coverage!;
    const y = 10 + i * ROW;
    parts.push(
      `<text x="${LABEL - 8}" y="${y + BAR / 2 + 4}" text-anchor="end" class="label">${e(b.building)}</text>`,
      `<rect class="track" x="${LABEL}" y="${y}" width="${PLOT}" height="${BAR}" fill="#eceff1"/>`,
    );
    if (k.value !== null) {
      const shown = percent(k.value, lang);
      parts.push(
        `<rect class="bar" data-building="${e(b.building)}" data-value="${k.value}" data-met="${k.met}" x="${LABEL}" y="${y}" width="${fixed(x(k.value) - LABEL)}" height="${BAR}" fill="${colourOf(k.met)}"><title>${e(b.building)}: ${e(shown)}</title></rect>`,
        `<text x="${LABEL + PLOT + 8}" y="${y + BAR / 2 + 4}" class="value">${e(shown)}</text>`,
      );
    }
    if (k.target !== null) {
      const tx = fixed(x(k.target));
      parts.push(
        `<line class="target" data-building="${e(b.building)}" data-target="${k.target}" x1="${tx}" x2="${tx}" y1="${y - 4}" y2="${y + BAR + 4}" stroke="#212121" stroke-width="2" stroke-dasharray="4 2"/>`,
      );
    }
  });
  parts.push(`<text x="10" y="${rows.length * ROW + 22}" class="legend">${e(l.buildingLegend)}</text>`, '</svg>');
  return parts.join('\n');
}
