/**
 * The evaluation scorecard in the HTML report (docs/contract.md §5, "Evaluation scorecard"): its
 * table, the trend charts of its KPIs (the report's own trend charts, html-charts.ts), and two
 * inline SVG charts of its own, no script, every text from data escaped:
 * - satisfaction: a bar per survey wave up to the period's end (its satisfaction rate) and the
 *   rate the target asks for (baseline × (1 + target)) as a dashed line;
 * - payback: the cumulative net per month against the social-capital investment, dashed.
 * Elements carry their data (`data-wave`, `data-month`, `data-value`, `data-target`) so a browser
 * test can check a chart against the JSON.
 */
import type { ReportData } from './build.ts';
import type { EvaluationScorecard } from './evaluation.ts';
import { SCORECARD_KPIS } from './evaluation.ts';
import { fundingRows, monthRows, scorecardRows, waveRows } from './evaluation-render.ts';
import { money, percent } from './format.ts';
import { COLOURS, escapeHtml, trendChart } from './html-charts.ts';
import { labelsOf, type ReportLanguage } from './i18n.ts';

const e = escapeHtml;
const W = 560;
const H = 220;
const PAD = { left: 84, right: 16, top: 28, bottom: 40 };
const PW = W - PAD.left - PAD.right;
const PH = H - PAD.top - PAD.bottom;
const fixed = (n: number): string => n.toFixed(1);

function svgOpen(cls: string, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${e(title)}">`,
    `<text x="${PAD.left}" y="16" class="chart-title">${e(title)}</text>`,
    `<line class="axis" x1="${PAD.left}" x2="${PAD.left + PW}" y1="${PAD.top + PH}" y2="${PAD.top + PH}" stroke="#90a4ae"/>`,
  ];
}

function tick(y: number, text: string): string {
  return `<text x="${PAD.left - 6}" y="${fixed(y + 4)}" text-anchor="end" class="tick">${e(text)}</text>`;
}

/** A bar per wave (its satisfaction rate) and the target rate, dashed. */
export function satisfactionChart(ev: EvaluationScorecard, lang: ReportLanguage): string {
  const s = ev.satisfaction;
  const parts = svgOpen('satisfaction-chart', ev.titles.satisfaction_gain[lang]);
  const max = Math.max(1, s.targetRate ?? 0);
  const y = (v: number): number => PAD.top + PH - (Math.max(0, v) / max) * PH;
  parts.push(tick(y(0), percent(0, lang)), tick(y(max), percent(max, lang)));
  const n = s.waves.length;
  if (n === 0) parts.push(`<text x="${PAD.left + 8}" y="${PAD.top + PH / 2}" class="none">${e(s.reason ?? '')}</text>`);
  const slot = PW / Math.max(1, n);
  const bw = Math.min(48, slot * 0.6);
  s.waves.forEach((w, i) => {
    const cx = PAD.left + slot * (i + 0.5);
    parts.push(`<text x="${fixed(cx)}" y="${PAD.top + PH + 16}" text-anchor="middle" class="tick">${e(w.wave)}</text>`);
    if (w.satisfactionRate === null) return;
    const top = y(w.satisfactionRate);
    const colour = w.met === null ? COLOURS.info : w.met ? COLOURS.met : COLOURS.notMet;
    parts.push(
      `<rect class="bar wave-bar" data-wave="${e(w.wave)}" data-date="${e(w.date)}" data-value="${w.satisfactionRate}" x="${fixed(cx - bw / 2)}" y="${fixed(top)}" width="${fixed(bw)}" height="${fixed(PAD.top + PH - top)}" fill="${colour}"><title>${e(w.wave)} ${e(w.date)}: ${e(percent(w.satisfactionRate, lang))}</title></rect>`,
    );
  });
  if (s.targetRate !== null) {
    const ty = fixed(y(s.targetRate));
    parts.push(
      `<line class="target" data-target="${s.targetRate}" x1="${PAD.left}" x2="${PAD.left + PW}" y1="${ty}" y2="${ty}" stroke="#212121" stroke-width="1.5" stroke-dasharray="5 3"><title>${e(labelsOf(lang).target)} ${e(percent(s.targetRate, lang))}</title></line>`,
    );
  }
  parts.push(`<text x="10" y="${H - 6}" class="legend">${e(labelsOf(lang).ev.satisfactionLegend)}</text>`, '</svg>');
  return parts.join('\n');
}

/** The cumulative net per month against the social-capital investment, dashed. */
export function paybackChart(ev: EvaluationScorecard, lang: ReportLanguage): string {
  const months = ev.payback.months;
  const capital = ev.funding.investment?.socialCapital ?? null;
  const parts = svgOpen('payback-chart', ev.titles.payback[lang]);
  const values = months.map((m) => m.cumulative);
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, capital ?? 0, ...values);
  const y = (v: number): number => PAD.top + PH - ((v - lo) / (hi - lo)) * PH;
  const x = (i: number): number => PAD.left + (months.length <= 1 ? PW / 2 : (i / (months.length - 1)) * PW);
  parts.push(tick(y(lo), money(lo, lang)), tick(y(hi), money(hi, lang)));
  if (lo < 0) {
    parts.push(
      `<line class="zero" x1="${PAD.left}" x2="${PAD.left + PW}" y1="${fixed(y(0))}" y2="${fixed(y(0))}" stroke="#cfd8dc"/>`,
    );
  }
  if (months.length === 0) {
    parts.push(`<text x="${PAD.left + 8}" y="${PAD.top + PH / 2}" class="none">${e(ev.payback.reason ?? '')}</text>`);
  }
  for (const i of months.length > 1 ? [0, months.length - 1] : months.length === 1 ? [0] : []) {
    const anchor = i === 0 && months.length > 1 ? 'start' : 'end';
    parts.push(
      `<text x="${fixed(x(i))}" y="${PAD.top + PH + 16}" text-anchor="${anchor}" class="tick">${e(months[i]!.month)}</text>`,
    );
  }
  if (capital !== null) {
    const cy = fixed(y(capital));
    parts.push(
      `<line class="target" data-target="${capital}" x1="${PAD.left}" x2="${PAD.left + PW}" y1="${cy}" y2="${cy}" stroke="#212121" stroke-width="1.5" stroke-dasharray="5 3"><title>${e(labelsOf(lang).ev.parties.socialCapital)} ${e(money(capital, lang))}</title></line>`,
    );
  }
  if (months.length > 1) {
    const points = months.map((m, i) => `${fixed(x(i))},${fixed(y(m.cumulative))}`).join(' ');
    parts.push(
      `<polyline class="payback-line" fill="none" stroke="${COLOURS.info}" stroke-width="2" points="${points}"/>`,
    );
  }
  months.forEach((m, i) => {
    parts.push(
      `<circle class="point" data-month="${e(m.month)}" data-value="${m.cumulative}" cx="${fixed(x(i))}" cy="${fixed(y(m.cumulative))}" r="3" fill="${COLOURS.info}"><title>${e(m.month)}: ${e(money(m.cumulative, lang))}</title></circle>`,
    );
  });
  parts.push(`<text x="10" y="${H - 6}" class="legend">${e(labelsOf(lang).ev.paybackLegend)}</text>`, '</svg>');
  return parts.join('\n');
}

function table(head: string[], rows: string[][], cls: string, lang: ReportLanguage): string {
  if (rows.length === 0) return `<p class="none">${e(labelsOf(lang).none)}</p>`;
  const th = head.map((x) => `<th>${e(x)}</th>`).join('');
  const trs = rows.map((row) => `<tr>${row.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody></table>`;
}

/** The scorecard section of the HTML report ('' for a report without one). */
export function evaluationHtml(r: ReportData, lang: ReportLanguage): string {
  const ev = r.evaluation;
  if (!ev) return '';
  const l = labelsOf(lang);
  const rows = scorecardRows(ev, lang)
    .map((row) => {
      const cells = row.cells.map((c, j) => {
        const cls = j === 3 && row.met !== null ? (row.met ? ' class="met"' : ' class="not-met"') : '';
        return `<td${cls}>${e(c)}</td>`;
      });
      return `<tr data-item="${e(row.id)}">${cells.join('')}</tr>`;
    })
    .join('\n');
  const th = l.ev.head.map((h) => `<th>${e(h)}</th>`).join('');
  const judged = r.trend.series.filter((s) => (SCORECARD_KPIS as readonly string[]).includes(s.kpi));
  return `<section class="evaluation">
<h2>${e(l.ev.title)}</h2>
<p>${e(l.ev.intro(ev.asOf.day))}</p>
<table class="scorecard"><thead><tr>${th}</tr></thead>
<tbody>
${rows}
</tbody></table>
<h3>${e(l.ev.kpiTrend)}</h3>
<div class="trend">
${judged.map((s) => trendChart(s, r, lang)).join('\n')}
</div>
<h3>${e(l.ev.waves)}</h3>
<figure>${satisfactionChart(ev, lang)}</figure>
${table(l.ev.waveHead, waveRows(ev, lang), 'waves', lang)}
<h3>${e(l.ev.funding)}</h3>
${table(l.ev.fundingHead, fundingRows(ev, lang), 'funding', lang)}
<h3>${e(l.ev.months)}</h3>
<figure>${paybackChart(ev, lang)}</figure>
${table(l.ev.monthHead, monthRows(ev, lang), 'payback-months', lang)}
</section>`;
}
