/**
 * Kept reports (docs/contract.md §5: "Reports are kept, listed and served as JSON, Markdown and
 * HTML"): `<dataDir>/reports/<site>/<kind>-<date>.{json,md,html}`, where `date` is the period's
 * first local day, so a report built again for the same period replaces the old one. The Markdown
 * and HTML are kept in one language (`report.language`); the API renders another from the JSON.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ID_PATTERN } from '../config/inventory.ts';
import { KPI_PERIODS } from '../config/schema.ts';
import type { PeriodKind } from '../kpi/index.ts';
import type { ReportData } from './build.ts';
import type { RenderOptions } from './format.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';

/** The three formats a report is kept in. */
export const REPORT_FORMATS = ['json', 'md', 'html'] as const;
/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * The report as text in `format`; Markdown and HTML in `options.lang` (the JSON is
 * language-neutral: ids, numbers and the KPI titles of every language, docs/contract.md §5).
 */
export function renderReport(r: ReportData, format: ReportFormat, options?: RenderOptions): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  return format === 'md' ? renderMarkdown(r, options) : renderHtml(r, options);
}

/** The folder of a site's reports; refuses a site id that is not an inventory id (no path tricks). */
export function reportDir(dataDir: string, site: string): string {
  if (!ID_PATTERN.test(site)) throw new RangeError(`not a site id: ${JSON.stringify(site)}`);
  return join(dataDir, 'reports', site);
}

/**
 * Writes the report in every format (each through a temporary file and a rename, so a reader never
 * sees half a file); resolves with the paths written, by format.
 */
export async function saveReport(
  dataDir: string,
  r: ReportData,
  options?: RenderOptions,
): Promise<Record<ReportFormat, string>> {
  const dir = reportDir(dataDir, r.site);
  await mkdir(dir, { recursive: true });
  const out = {} as Record<ReportFormat, string>;
  for (const format of REPORT_FORMATS) {
    const file = join(dir, `${r.period.kind}-${r.period.date}.${format}`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, renderReport(r, format, options));
    await rename(tmp, file);
    out[format] = file;
  }
  return out;
}

/** One kept report. */
export interface ReportEntry {
  site: string;
  kind: PeriodKind;
  /** The period's first local day. */
  date: string;
  /** Formats present, in {@link REPORT_FORMATS} order, and their paths. */
  formats: ReportFormat[];
  paths: Partial<Record<ReportFormat, string>>;
}

const NAME = /^(day|week|month)-(\d{4}-\d{2}-\d{2})\.(json|md|html)$/;

/** The kept reports of a site, newest period first (then day, week, month); [] when none. */
export async function listReports(dataDir: string, site: string): Promise<ReportEntry[]> {
  const dir = reportDir(dataDir, site);
  const names = await readdir(dir).catch(() => [] as string[]);
  const byKey = new Map<string, ReportEntry>();
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const [, kind, date, format] = m as unknown as [string, PeriodKind, string, ReportFormat];
    const key = `${kind}-${date}`;
    const entry = byKey.get(key) ?? { site, kind, date, formats: [], paths: {} };
    entry.paths[format] = join(dir, name);
    byKey.set(key, entry);
  }
  const entries = [...byKey.values()];
  for (const entry of entries) entry.formats = REPORT_FORMATS.filter((f) => entry.paths[f] !== undefined);
  return entries.sort(
    (a, b) => b.date.localeCompare(a.date) || KPI_PERIODS.indexOf(a.kind) - KPI_PERIODS.indexOf(b.kind),
  );
}
