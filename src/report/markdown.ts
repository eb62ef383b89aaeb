/**
 * Markdown and shared text formatting of a monitoring report (docs/contract.md §5: reports are
 * served "as JSON, Markdown and HTML").
 */
import type { ReportData, ReportKpi } from './build.ts';

/** A value as shown: `95.0%` for ratios, `3` for counts, `—` for none. */
export function showValue(unit: ReportKpi['unit'], v: number | null): string {
  if (v === null) return '—';
  return unit === 'ratio' ? `${(v * 100).toFixed(1)}%` : String(v);
}

/** The target as shown: `≥ 95%`, `≤ 3`, or `informative`. */
export function showTarget(k: ReportKpi): string {
  if (k.target === null || k.direction === null) return 'informative';
  return `${k.direction === '<=' ? '≤' : '≥'} ${k.unit === 'ratio' ? `${Number((k.target * 100).toPrecision(12))}%` : k.target}`;
}

/** `met`, `not met` or `—` (no value or no target). */
export function showMet(k: ReportKpi): string {
  return k.met === null ? '—' : k.met ? 'met' : 'not met';
}

/** The change from the previous period: `+5.0 pp` for ratios, `+2` for counts, `—` when unknown. */
export function showChange(k: ReportKpi): string {
  if (k.change === null) return '—';
  const sign = k.change > 0 ? '+' : k.change < 0 ? '−' : '±';
  const size = Math.abs(k.change);
  return k.unit === 'ratio' ? `${sign}${(size * 100).toFixed(1)} pp` : `${sign}${size}`;
}

/** The status cell: `ok`, `warning: …` or `no value: <reason>`. */
export function showStatus(k: ReportKpi): string {
  if (k.status === 'null') return `no value: ${k.reason ?? ''}`;
  return k.warnings.length > 0 ? `warning: ${k.warnings.join(', ')}` : 'ok';
}

/** One Markdown table cell: pipes and line breaks escaped, HTML-ish characters neutralised. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '_none_\n';
  const line = (r: string[]): string => `| ${r.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}

/** The title line shared by the renderers. */
export function titleOf(r: ReportData): string {
  return `Monitoring report: ${r.site}, ${r.period.kind} ${r.period.date}`;
}

/** The report as Markdown. */
export function renderMarkdown(r: ReportData): string {
  const state = r.period.complete ? 'complete' : 'running (so far)';
  const out: string[] = [
    `# ${cell(titleOf(r))}`,
    '',
    `${r.period.start} → ${r.period.end} (${cell(r.timezone)}), ${state}; ${r.households} registered households. ` +
      `Compared with the previous ${r.period.kind} (${r.previousPeriod.start} → ${r.previousPeriod.end}). Generated ${r.generatedAt}.`,
    '',
    `**${r.summary.met} met, ${r.summary.notMet} not met**, ${r.summary.informative} informative, ${r.summary.noValue} without a value.`,
    '',
    '## KPIs',
    '',
    table(
      ['KPI', 'value', 'target', 'met', 'previous', 'change', 'numerator / denominator', 'status'],
      r.kpis.map((k) => [
        k.kpi,
        showValue(k.unit, k.value),
        showTarget(k),
        showMet(k),
        showValue(k.unit, k.previous),
        showChange(k),
        k.denominator === null ? String(k.numerator) : `${k.numerator} / ${k.denominator}`,
        showStatus(k),
      ]),
    ),
    '## Devices silent longest',
    '',
    table(
      ['device', 'type', 'last heard', 'silent (hours)'],
      r.silentDevices.map((d) => [
        d.device,
        d.type,
        d.lastHeard ?? 'never',
        d.silentHours === null ? '—' : String(d.silentHours),
      ]),
    ),
    '## Bins most often full',
    '',
    'Readings at ≥ 90% fill plus overflow alarms in the period.',
    '',
    table(
      ['bin', 'readings ≥ 90%', 'overflow alarms', 'total'],
      r.fullBins.map((b) => [b.device, String(b.fullReadings), String(b.overflowAlarms), String(b.total)]),
    ),
    '## Gates with most security alarms',
    '',
    table(
      ['gate', 'forced_open', 'tailgating', 'climbing', 'total'],
      r.alarmingGates.map((g) => [
        g.device,
        String(g.forced_open),
        String(g.tailgating),
        String(g.climbing),
        String(g.total),
      ]),
    ),
    '## Data quality',
    '',
    `${r.dataQuality.deadLetters} dead letters received in the period.`,
    '',
    table(
      ['dead-letter reason', 'count'],
      r.dataQuality.deadLettersByReason.map((d) => [d.reason, String(d.count)]),
    ),
    table(
      ['KPI', 'warning'],
      r.dataQuality.kpiWarnings.map((w) => [w.kpi, w.warning]),
    ),
  ];
  return out.join('\n');
}
