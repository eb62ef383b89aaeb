/**
 * Kept reports (docs/contract.md §5: "Reports are kept, listed and served as JSON, Markdown, HTML
 * and PDF"): `<dataDir>/reports/<site>/<kind>-<date>.{json,md,html,pdf}`, where `date` is the
 * period's first local day, so a report built again for the same period replaces the old one. Next
 * to them `<kind>-<date>.meta.json` says when and why the report was last built ({@link BuildMeta}).
 * The Markdown, HTML and PDF are kept in one language (`report.language`); the API renders another
 * from the JSON.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ID_PATTERN } from '../config/inventory.ts';
import { KPI_PERIODS } from '../config/schema.ts';
import type { PeriodKind } from '../kpi/index.ts';
import type { ReportData } from './build.ts';
import type { RenderOptions } from './format.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';

/** The text formats a report is rendered in. */
export const REPORT_FORMATS = ['json', 'md', 'html'] as const;
/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** Every format a kept report may have: the text ones, and the PDF printed from the HTML (pdf.ts). */
export const STORED_FORMATS = [...REPORT_FORMATS, 'pdf'] as const;
/** One of {@link STORED_FORMATS}. */
export type StoredFormat = (typeof STORED_FORMATS)[number];

/** Why a report was built: a period closed, a period recomputed after late data, or someone asked. */
export type BuildTrigger = 'close' | 'late' | 'demand';

/** `<kind>-<date>.meta.json`: the last build of a kept report. */
export interface BuildMeta {
  /** When it was last built, ISO 8601 UTC. */
  builtAt: string;
  trigger: BuildTrigger;
  /** Builds that replaced an existing report because late data changed the period's KPIs. */
  lateRebuilds: number;
}

/**
 * The report as text in `format`; Markdown and HTML in `options.lang` (the JSON is
 * language-neutral: ids, numbers and the KPI titles of every language, docs/contract.md §5). The
 * one place reports are rendered (the CLI, the report stage, the API and the HTML the PDF is
 * printed from all come through here).
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

/** Writes `text` through a temporary file and a rename, so a reader never sees half a file. */
export async function writeAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/**
 * Writes the report in every text format (Markdown and HTML in `options.lang`), then its
 * {@link BuildMeta}; resolves with the paths
 * written, by format. A PDF of an earlier build is removed: it would show the old values (the
 * report stage prints a new one).
 */
export async function saveReport(
  dataDir: string,
  r: ReportData,
  options?: RenderOptions,
  build: { trigger: BuildTrigger; at: number } = { trigger: 'demand', at: Date.now() },
): Promise<Record<ReportFormat, string>> {
  const dir = reportDir(dataDir, r.site);
  await mkdir(dir, { recursive: true });
  const base = reportBase(dataDir, r.site, r.period.kind, r.period.date);
  const before = await readMeta(`${base}.meta.json`);
  const existed = before !== undefined || (await exists(`${base}.json`));
  await rm(`${base}.pdf`, { force: true });
  const out = {} as Record<ReportFormat, string>;
  for (const format of REPORT_FORMATS) {
    out[format] = `${base}.${format}`;
    await writeAtomic(out[format], renderReport(r, format, options));
  }
  const meta: BuildMeta = {
    builtAt: new Date(build.at).toISOString(),
    trigger: build.trigger,
    lateRebuilds: (before?.lateRebuilds ?? 0) + (build.trigger === 'late' && existed ? 1 : 0),
  };
  await writeAtomic(`${base}.meta.json`, `${JSON.stringify(meta)}\n`);
  return out;
}

/** One kept report. */
export interface ReportEntry {
  site: string;
  kind: PeriodKind;
  /** The period's first local day. */
  date: string;
  /** Formats present, in {@link STORED_FORMATS} order, and their paths. */
  formats: StoredFormat[];
  paths: Partial<Record<StoredFormat, string>>;
  /** The last build; a report kept by an older hub has none. */
  meta: BuildMeta | undefined;
}

const NAME = /^(day|week|month|quarter|year)-(\d{4}-\d{2}-\d{2})\.(json|md|html|pdf|meta\.json)$/;

/** The kept reports of a site, newest period first (then day, week, month); [] when none. */
export async function listReports(dataDir: string, site: string): Promise<ReportEntry[]> {
  const dir = reportDir(dataDir, site);
  const names = await readdir(dir).catch(() => [] as string[]);
  const byKey = new Map<string, ReportEntry & { metaPath?: string }>();
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const [, kind, date, ext] = m as unknown as [string, PeriodKind, string, StoredFormat | 'meta.json'];
    const key = `${kind}-${date}`;
    const entry = byKey.get(key) ?? { site, kind, date, formats: [], paths: {}, meta: undefined };
    if (ext === 'meta.json') entry.metaPath = join(dir, name);
    else entry.paths[ext] = join(dir, name);
    byKey.set(key, entry);
  }
  const entries: ReportEntry[] = [];
  for (const { metaPath, ...entry } of byKey.values()) {
    entry.formats = STORED_FORMATS.filter((f) => entry.paths[f] !== undefined);
    if (entry.formats.length === 0) continue; // a meta file alone: its report was removed
    entry.meta = metaPath ? await readMeta(metaPath) : undefined;
    entries.push(entry);
  }
  return entries.sort(
    (a, b) => b.date.localeCompare(a.date) || KPI_PERIODS.indexOf(a.kind) - KPI_PERIODS.indexOf(b.kind),
  );
}

/**
 * The path of one kept report file, or undefined when that format of that period is not kept: one
 * `stat`, not a listing of the site's folder (the API serves single files with it).
 */
export async function reportPath(
  dataDir: string,
  site: string,
  kind: PeriodKind,
  date: string,
  format: StoredFormat,
): Promise<string | undefined> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const path = `${reportBase(dataDir, site, kind, date)}.${format}`;
  return (await exists(path)) ? path : undefined;
}

/** A period's report files without their extension: `{reportDir}/{kind}-{date}`. */
function reportBase(dataDir: string, site: string, kind: PeriodKind, date: string): string {
  return join(reportDir(dataDir, site), `${kind}-${date}`);
}

/**
 * Keeps the `keep` newest periods of `kind` of a site and deletes every file of the older ones
 * (the `report.keep` retention, docs/configuration.md); resolves with the periods removed.
 */
export async function pruneReports(dataDir: string, site: string, kind: PeriodKind, keep: number): Promise<string[]> {
  const old = (await listReports(dataDir, site)).filter((e) => e.kind === kind).slice(keep);
  for (const e of old) {
    const base = reportBase(dataDir, site, e.kind, e.date);
    for (const f of STORED_FORMATS) await rm(`${base}.${f}`, { force: true });
    await rm(`${base}.meta.json`, { force: true });
  }
  return old.map((e) => `${e.kind}-${e.date}`);
}

async function readMeta(file: string): Promise<BuildMeta | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as BuildMeta;
  } catch {
    return undefined; // a report kept before build records existed, or hand-edited: the report stands
  }
}

/** True when `file` is a file (not missing, not a folder). */
async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}
