/**
 * The HTML page of a monitoring report (docs/contract.md §5: "HTML (with charts)"): one
 * self-contained file, inline CSS and inline SVG charts generated here, no script, no CDN, no
 * external fetch. Every text from data (site, device and reason names) is escaped.
 *
 * The chart has one row per KPI: a bar (`rect.bar`, `data-kpi`) for each KPI with a value, on its
 * own scale (ratios 0–100%, counts 0–max), and a target line (`line.target`, `data-target`) where
 * the KPI has a target: the 95% coverage target is visible next to the coverage bar.
 */
import type { ReportData, ReportKpi } from './build.ts';
import { showChange, showMet, showStatus, showTarget, showValue, titleOf } from './markdown.ts';

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

const W = 760;
const LABEL = 190;
const PLOT = 470;
const ROW = 34;
const BAR = 20;
const COLOURS = { met: '#2e7d32', notMet: '#c62828', info: '#1565c0' };

/** The upper end of a KPI's scale. */
function scaleMax(k: ReportKpi): number {
  if (k.unit === 'ratio') return Math.max(1, k.value ?? 0, k.target ?? 0);
  return Math.max(1, k.value ?? 0, k.target ?? 0) * 1.1;
}

const fixed = (n: number): string => n.toFixed(1);

/** The KPI chart: an SVG with a bar per KPI that has a value and a line per target. */
export function kpiChart(r: ReportData): string {
  const h = r.kpis.length * ROW + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="KPI values against their targets">`,
  ];
  r.kpis.forEach((k, i) => {
    const y = 10 + i * ROW;
    const max = scaleMax(k);
    const x = (v: number): number => LABEL + (Math.max(0, v) / max) * PLOT;
    parts.push(`<text x="${LABEL - 8}" y="${y + BAR / 2 + 4}" text-anchor="end" class="label">${e(k.kpi)}</text>`);
    parts.push(`<rect class="track" x="${LABEL}" y="${y}" width="${PLOT}" height="${BAR}" fill="#eceff1"/>`);
    if (k.value === null) {
      parts.push(`<text x="${LABEL + 8}" y="${y + BAR / 2 + 4}" class="none">no value: ${e(k.reason ?? '')}</text>`);
    } else {
      const colour = k.met === null ? COLOURS.info : k.met ? COLOURS.met : COLOURS.notMet;
      const met = k.met === null ? '' : ` data-met="${k.met}"`;
      parts.push(
        `<rect class="bar" data-kpi="${e(k.kpi)}" data-value="${k.value}"${met} x="${LABEL}" y="${y}" width="${fixed(x(k.value) - LABEL)}" height="${BAR}" fill="${colour}"><title>${e(k.kpi)}: ${e(showValue(k.unit, k.value))}</title></rect>`,
      );
      parts.push(
        `<text x="${LABEL + PLOT + 8}" y="${y + BAR / 2 + 4}" class="value">${e(showValue(k.unit, k.value))}</text>`,
      );
    }
    if (k.target !== null) {
      const tx = fixed(x(k.target));
      parts.push(
        `<line class="target" data-kpi="${e(k.kpi)}" data-target="${k.target}" x1="${tx}" x2="${tx}" y1="${y - 4}" y2="${y + BAR + 4}" stroke="#212121" stroke-width="2" stroke-dasharray="4 2"><title>target ${e(showTarget(k))}</title></line>`,
      );
    }
  });
  const ly = r.kpis.length * ROW + 22;
  parts.push(
    `<text x="10" y="${ly}" class="legend">Bars: value (green met, red not met, blue informative). Dashed line: target. Ratios on 0–100%, counts on their own scale.</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

function table(head: string[], rows: string[][], cls: string): string {
  if (rows.length === 0) return `<p class="none">none</p>`;
  const th = head.map((x) => `<th>${e(x)}</th>`).join('');
  const trs = rows.map((row) => `<tr>${row.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody></table>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#212121;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #cfd8dc;padding:.3rem .5rem;text-align:left;font-size:.9rem}th{background:#eceff1}
td.met{color:${COLOURS.met};font-weight:600}td.not-met{color:${COLOURS.notMet};font-weight:600}
svg text{font-size:12px;fill:#212121}svg .legend{font-size:11px;fill:#546e7a}svg .none{fill:#78909c;font-style:italic}
.summary{font-size:1.05rem}.none{color:#78909c}`;

/** The report as one self-contained HTML page. */
export function renderHtml(r: ReportData): string {
  const state = r.period.complete ? 'complete' : 'running (so far)';
  const kpiRows = r.kpis
    .map((k) => {
      const metClass = k.met === null ? '' : k.met ? ' class="met"' : ' class="not-met"';
      const cells = [showValue(k.unit, k.value), showTarget(k)].map((c) => `<td>${e(c)}</td>`).join('');
      const rest = [
        showValue(k.unit, k.previous),
        showChange(k),
        k.denominator === null ? String(k.numerator) : `${k.numerator} / ${k.denominator}`,
        showStatus(k),
      ]
        .map((c) => `<td>${e(c)}</td>`)
        .join('');
      return `<tr data-kpi="${e(k.kpi)}"><td>${e(k.kpi)}</td>${cells}<td${metClass}>${e(showMet(k))}</td>${rest}</tr>`;
    })
    .join('\n');
  const dq = r.dataQuality;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(titleOf(r))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${e(titleOf(r))}</h1>
<p>${e(`${r.period.start} → ${r.period.end} (${r.timezone}), ${state}; ${r.households} registered households. Compared with the previous ${r.period.kind} (${r.previousPeriod.start} → ${r.previousPeriod.end}). Generated ${r.generatedAt}.`)}</p>
<p class="summary"><strong>${r.summary.met} met, ${r.summary.notMet} not met</strong>, ${r.summary.informative} informative, ${r.summary.noValue} without a value.</p>
<h2>KPIs</h2>
${kpiChart(r)}
<table class="kpis"><thead><tr><th>KPI</th><th>value</th><th>target</th><th>met</th><th>previous</th><th>change</th><th>numerator / denominator</th><th>status</th></tr></thead>
<tbody>
${kpiRows}
</tbody></table>
<h2>Devices silent longest</h2>
${table(
  ['device', 'type', 'last heard', 'silent (hours)'],
  r.silentDevices.map((d) => [
    d.device,
    d.type,
    d.lastHeard ?? 'never',
    d.silentHours === null ? '—' : String(d.silentHours),
  ]),
  'silent',
)}
<h2>Bins most often full</h2>
<p>Readings at ≥ 90% fill plus overflow alarms in the period.</p>
${table(
  ['bin', 'readings ≥ 90%', 'overflow alarms', 'total'],
  r.fullBins.map((b) => [b.device, String(b.fullReadings), String(b.overflowAlarms), String(b.total)]),
  'full-bins',
)}
<h2>Gates with most security alarms</h2>
${table(
  ['gate', 'forced_open', 'tailgating', 'climbing', 'total'],
  r.alarmingGates.map((g) => [
    g.device,
    String(g.forced_open),
    String(g.tailgating),
    String(g.climbing),
    String(g.total),
  ]),
  'gates',
)}
<h2>Data quality</h2>
<p>${dq.deadLetters} dead letters received in the period.</p>
${table(
  ['dead-letter reason', 'count'],
  dq.deadLettersByReason.map((d) => [d.reason, String(d.count)]),
  'dead-letters',
)}
${table(
  ['KPI', 'warning'],
  dq.kpiWarnings.map((w) => [w.kpi, w.warning]),
  'warnings',
)}
</body>
</html>
`;
}
