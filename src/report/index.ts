/**
 * The report stage (architecture.md: broker → normalise → store → kpi → report → api): monitoring
 * reports of docs/contract.md §5 for a site and period, built purely from gathered facts, rendered
 * as JSON, Markdown and self-contained HTML with inline SVG charts, and kept under
 * `<dataDir>/reports/<site>/`. It imports from the root files, config, deadletters, store and kpi.
 */
export {
  buildReport,
  changeOf,
  DEFAULT_TOP,
  FULL_FILL_PCT,
  REPORT_VERSION,
  type AlarmingGate,
  type FullBin,
  type LastHeard,
  type ReportData,
  type ReportInput,
  type ReportKpi,
  type SilentDevice,
} from './build.ts';
export { gatherReport, reportStatements, type ReportDeps } from './gather.ts';
export { renderMarkdown, showChange, showMet, showTarget, showValue, titleOf } from './markdown.ts';
export { escapeHtml, kpiChart, renderHtml } from './html.ts';
export {
  listReports,
  pruneReports,
  renderReport,
  REPORT_FORMATS,
  reportDir,
  saveReport,
  STORED_FORMATS,
  writeAtomic,
  type BuildMeta,
  type BuildTrigger,
  type ReportEntry,
  type ReportFormat,
  type StoredFormat,
} from './files.ts';
export { chromiumUsable, printPdf, PRINT_CSS, type PrintOptions } from './pdf.ts';
export { ReportStage, type ReportSettings, type ReportStageOptions, type ReportStageStats } from './stage.ts';
