/**
 * The HTML page of a monitoring report (docs/contract.md §5: "HTML (with charts)"): one
 * self-contained file, inline CSS and inline SVG charts (html-charts.ts), no script, no CDN, no
 * external fetch, in the language asked for. Every text from data (site, device, building and
 * reason names) is escaped.
 *
 * Print: the page is also the source of the PDF (headless chromium), so it carries print CSS:
 * A4 pages, and no table, chart or section heading split across a page break.
 */
import type { ReportData } from './build.ts';
import { evaluationHtml } from './evaluation-html.ts';
import { count, langOf, type RenderOptions } from './format.ts';
import { buildingChart, COLOURS, escapeHtml, kpiChart, trendChart } from './html-charts.ts';
import { labelsOf, type ReportLanguage } from './i18n.ts';
import {
  buildingRowsOf,
  coverageTarget,
  dlRows,
  fullRows,
  gateRows,
  introOf,
  kpiRows,
  silentRows,
  siteNeededOf,
  titleOf,
  warnRows,
} from './markdown.ts';

export { escapeHtml };
const e = escapeHtml;

function table(head: string[], rows: string[][], cls: string, lang: ReportLanguage): string {
  if (rows.length === 0) return `<p class="none">${e(labelsOf(lang).none)}</p>`;
  const th = head.map((x) => `<th>${e(x)}</th>`).join('');
  const trs = rows.map((row) => `<tr>${row.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody></table>`;
}

const STYLE = `body{font-family:system-ui,"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:2rem auto;max-width:60rem;color:#212121;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}h3{font-size:1rem;margin-top:1.25rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #cfd8dc;padding:.3rem .5rem;text-align:left;font-size:.9rem}th{background:#eceff1}
td.met{color:${COLOURS.met};font-weight:600}td.not-met{color:${COLOURS.notMet};font-weight:600}
svg text{font-size:12px;fill:#212121}svg .legend{font-size:11px;fill:#546e7a}svg .none{fill:#78909c;font-style:italic}
svg .chart-title{font-size:13px;font-weight:600}svg .tick{font-size:10px;fill:#546e7a}
.trend{display:flex;flex-wrap:wrap;gap:.5rem}.summary{font-size:1.05rem}.none{color:#78909c}
@page{size:A4;margin:15mm}
@media print{body{margin:0;max-width:none;padding:0}table,svg,figure,.trend svg{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}svg{max-width:100%;height:auto}}`;

/** The KPI table: one row per KPI, `data-kpi` its id, the met cell classed met / not-met. */
function kpiTable(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  const rows = kpiRows(r, lang);
  const body = r.kpis
    .map((k, i) => {
      const cells = rows[i]!.map((c, j) => {
        const cls = j === 3 && k.met !== null ? (k.met ? ' class="met"' : ' class="not-met"') : '';
        return `<td${cls}>${e(c)}</td>`;
      });
      return `<tr data-kpi="${e(k.kpi)}">${cells.join('')}</tr>`;
    })
    .join('\n');
  const th = l.kpiHead.map((h) => `<th>${e(h)}</th>`).join('');
  return `<table class="kpis"><thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function buildingSection(r: ReportData, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  if (r.buildings.length === 0) return `<p class="none">${e(l.noBuildings)}</p>`;
  return `<p>${e(l.buildingsIntro(coverageTarget(r, lang)))}</p>
<figure>${buildingChart(r, lang)}</figure>
${table(l.buildingHead, buildingRowsOf(r, lang), 'buildings', lang)}
<p class="site-needed">${e(siteNeededOf(r, lang))}</p>`;
}

/** The report as one self-contained HTML page, in `options.lang`. */
export function renderHtml(r: ReportData, options?: RenderOptions): string {
  const lang = langOf(options);
  const l = labelsOf(lang);
  const [strong, rest] = l.summary(r.summary.met, r.summary.notMet, r.summary.informative, r.summary.noValue);
  const dq = r.dataQuality;
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(titleOf(r, lang))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${e(titleOf(r, lang))}</h1>
<p>${e(introOf(r, lang))}</p>
<p class="summary"><strong>${e(strong)}</strong>${e(l.comma)}${e(rest)}</p>
${evaluationHtml(r, lang)}
<h2>${e(l.sections.kpis)}</h2>
<figure>${kpiChart(r, lang)}</figure>
${kpiTable(r, lang)}
<h2>${e(l.sections.buildings)}</h2>
${buildingSection(r, lang)}
<h2>${e(l.sections.trend)}</h2>
<p>${e(l.trendIntro(r.trend.periods, r.trend.kind))}</p>
<div class="trend">
${r.trend.series.map((s) => trendChart(s, r, lang)).join('\n')}
</div>
<p class="legend">${e(l.trendLegend)}</p>
<h2>${e(l.sections.silent)}</h2>
<p>${e(l.silentIntro(count(r.silentAfterHours, lang)))}</p>
${table(l.silentHead, silentRows(r, lang), 'silent', lang)}
<h2>${e(l.sections.fullBins)}</h2>
<p>${e(l.fullIntro)}</p>
${table(l.fullHead, fullRows(r, lang), 'full-bins', lang)}
<h2>${e(l.sections.gates)}</h2>
${table(l.gateHead, gateRows(r, lang), 'gates', lang)}
<h2>${e(l.sections.quality)}</h2>
<p>${e(l.deadLetters(dq.deadLetters))}</p>
${table(l.dlHead, dlRows(r, lang), 'dead-letters', lang)}
${table(l.warnHead, warnRows(r, lang), 'warnings', lang)}
</body>
</html>
`;
}
