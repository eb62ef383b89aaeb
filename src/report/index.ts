/**
 * The report stage (architecture.md: broker → normalise → store → kpi → report → api): monitoring
 * reports of docs/contract.md §5 for a site and period, built purely from gathered facts, rendered
 * as JSON, Markdown and self-contained HTML with inline SVG charts in zh-CN or en, and kept under
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
export {
  BUILDING_KPIS,
  buildingRows,
  householdsNeeded,
  type BuildingKpi,
  type BuildingKpiId,
  type ReportBuilding,
} from './buildings.ts';
export { buildTrend, trendPeriods, type ReportTrend, type TrendPoint, type TrendSeries } from './trend.ts';
export { gatherReport, reportStatements, type ReportDeps } from './gather.ts';
export {
  buildEvaluation,
  EVALUATED_KINDS,
  gatherEvaluation,
  PAYBACK_MONTHS,
  SCORECARD_KPIS,
  type EvaluationDeps,
  type EvaluationFacts,
  type EvaluationItem,
  type EvaluationScorecard,
  type ScorecardKpi,
  type ScorecardWave,
} from './evaluation.ts';
export { evaluationMarkdown, scorecardRows, type ScorecardRow } from './evaluation-render.ts';
export { evaluationHtml, paybackChart, satisfactionChart } from './evaluation-html.ts';
export {
  EVALUATION_TITLES,
  isReportLanguage,
  KPI_TITLES,
  kpiTitle,
  labelsOf,
  REPORT_LANGUAGES,
  type EvaluationLabels,
  type Labels,
  type ReportLanguage,
} from './i18n.ts';
export { langOf, showChange, showMet, showStatus, showTarget, showValue, type RenderOptions } from './format.ts';
export { renderMarkdown, titleOf } from './markdown.ts';
export { buildingChart, escapeHtml, kpiChart, trendChart } from './html-charts.ts';
export { renderHtml } from './html.ts';
export {
  listReports,
  pruneReports,
  renderReport,
  REPORT_FORMATS,
  reportDir,
  reportPath,
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
