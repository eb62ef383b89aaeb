/**
 * The one catalogue of a report's words (docs/contract.md §5, "Languages"): the title of every KPI
 * and every label of the Markdown and HTML, in `zh-CN` and `en`. The JSON report stays
 * language-neutral (ids and numbers) and carries the KPI titles of both languages beside them, so
 * a reader of the JSON never needs this file. Null reasons, warnings, device and building ids stay
 * ids: they are what an operator searches the logs and the contract for.
 */
import { REPORT_LANGUAGES, type ReportLanguage } from '../config/schema.ts';
import type { KpiId, PeriodKind } from '../kpi/index.ts';

export { REPORT_LANGUAGES, type ReportLanguage };

/** The title of a KPI in each language. */
export const KPI_TITLES: Readonly<Record<KpiId, Readonly<Record<ReportLanguage, string>>>> = {
  sorting_coverage: { 'zh-CN': '垃圾分类覆盖率', en: 'Sorting coverage' },
  participation_rate: { 'zh-CN': '参与率', en: 'Participation rate' },
  sorting_accuracy: { 'zh-CN': '分类准确率', en: 'Sorting accuracy' },
  device_availability: { 'zh-CN': '设备在线率', en: 'Device online rate' },
  bin_overflow_alarms: { 'zh-CN': '垃圾桶满溢告警次数', en: 'Bin overflow alarms' },
  gate_denied_rate: { 'zh-CN': '门禁拒绝率', en: 'Gate denied rate' },
  gate_security_alarms: { 'zh-CN': '门禁安全告警次数', en: 'Gate security alarms' },
  diversion_rate: { 'zh-CN': '资源化率', en: 'Diversion rate' },
  recyclables_kg: { 'zh-CN': '可回收物（千克）', en: 'Recyclables (kg)' },
  co2e_avoided_kg: { 'zh-CN': '减排量（千克二氧化碳当量）', en: 'CO₂e avoided (kg)' },
};

/** The titles of the evaluation scorecard's rows that are not KPIs (docs/contract.md §5, "Evaluation scorecard"). */
export const EVALUATION_TITLES = {
  satisfaction_gain: { 'zh-CN': '居民满意度提升', en: 'Resident satisfaction gain' },
  payback: { 'zh-CN': '社会资本投资回收', en: 'Social-capital payback' },
} as const satisfies Record<string, Readonly<Record<ReportLanguage, string>>>;

/** The title of `kpi` in `lang` (its id if the catalogue lacks it: never an empty cell). */
export function kpiTitle(kpi: KpiId, lang: ReportLanguage): string {
  return KPI_TITLES[kpi]?.[lang] ?? kpi;
}

/** Every label of the rendered report. */
export interface Labels {
  title: (site: string, kind: PeriodKind, date: string) => string;
  kinds: Record<PeriodKind, string>;
  /** The period line: its days, the zone and whether it is complete. */
  periodLine: (range: string, tz: string, state: string) => string;
  /** Separator of the intro's sentences, and of a label from its detail. */
  stop: string;
  colon: string;
  comma: string;
  complete: string;
  running: string;
  households: (n: string) => string;
  comparedWith: (kind: string, range: string) => string;
  generated: (at: string) => string;
  summary: (met: number, notMet: number, info: number, none: number) => [strong: string, rest: string];
  sections: {
    kpis: string;
    buildings: string;
    trend: string;
    silent: string;
    fullBins: string;
    gates: string;
    quality: string;
  };
  kpiHead: string[];
  buildingsIntro: (target: string) => string;
  buildingHead: string[];
  siteNeeded: (coverage: string, participation: string) => string;
  noBuildings: string;
  trendIntro: (n: number, kind: PeriodKind) => string;
  /** Appended to a running period's label and to a partial change, with its brackets. */
  runningMark: string;
  partialMark: string;
  silentIntro: (hours: string) => string;
  silentHead: string[];
  fullIntro: string;
  fullHead: string[];
  gateHead: string[];
  deadLetters: (n: number) => string;
  dlHead: string[];
  warnHead: string[];
  met: string;
  notMet: string;
  informative: string;
  ok: string;
  warning: string;
  noValue: string;
  never: string;
  none: string;
  pp: string;
  target: string;
  chartLegend: string;
  trendLegend: string;
  buildingLegend: string;
  /** The evaluation scorecard of quarter and year reports. */
  ev: EvaluationLabels;
}

/** The labels of the evaluation scorecard (evaluation-render.ts). */
export interface EvaluationLabels {
  title: string;
  intro: (day: string) => string;
  head: string[];
  wave: (wave: string, date: string, rate: string, baseline: string) => string;
  gainTarget: (gain: string, rate: string) => string;
  recovered: (share: string, cumulative: string, capital: string) => string;
  within: (deadline: string) => string;
  recoveredIn: (month: string) => string;
  projected: (month: string) => string;
  open: string;
  funding: string;
  fundingHead: string[];
  parties: { government: string; socialCapital: string; residents: string; total: string };
  waves: string;
  waveHead: string[];
  months: string;
  monthHead: string[];
  kpiTrend: string;
  satisfactionLegend: string;
  paybackLegend: string;
}

const EV_EN: EvaluationLabels = {
  title: 'Programme evaluation',
  intro: (day) => `Where the programme stands at the end of the period (${day}) against what it is judged by.`,
  head: ['criterion', 'value', 'target', 'met', 'detail'],
  wave: (wave, date, rate, base) => `wave ${wave} (${date}): ${rate} satisfied, baseline ${base}`,
  gainTarget: (gain, rate) => `≥ +${gain} (a rate of ${rate})`,
  recovered: (share, cum, cap) => `${share} recovered: ${cum} of ${cap}`,
  within: (deadline) => `recovered within 3 years (by ${deadline})`,
  recoveredIn: (m) => `recovered in ${m}`,
  projected: (m) => `projected for ${m}`,
  open: 'open',
  funding: 'Funding (PPP)',
  fundingHead: ['party', 'investment', 'share'],
  parties: { government: 'Government', socialCapital: 'Social capital', residents: 'Residents', total: 'Total' },
  waves: 'Satisfaction survey waves',
  waveHead: ['wave', 'date', 'responses', 'satisfaction rate', 'gain', 'met'],
  months: 'Payback by month',
  monthHead: ['month', 'net', 'cumulative', 'recovered share'],
  kpiTrend: 'Trend of the judged KPIs',
  satisfactionLegend: 'Bars: satisfaction rate per wave. Dashed line: baseline × (1 + target).',
  paybackLegend: 'Line: cumulative net since the payback clock started. Dashed line: the social-capital investment.',
};

const EV_ZH: EvaluationLabels = {
  title: '项目评估',
  intro: (day) => `截至本期末（${day}），对照项目考核指标的情况。`,
  head: ['考核项', '数值', '目标', '是否达标', '说明'],
  wave: (wave, date, rate, base) => `调查批次 ${wave}（${date}）：满意率 ${rate}，基线 ${base}`,
  gainTarget: (gain, rate) => `≥ +${gain}（满意率 ${rate}）`,
  recovered: (share, cum, cap) => `已回收 ${share}：${cum} / ${cap}`,
  within: (deadline) => `三年内回收（${deadline} 前）`,
  recoveredIn: (m) => `已于 ${m} 回收`,
  projected: (m) => `预计 ${m} 回收`,
  open: '待定',
  funding: '资金构成（PPP）',
  fundingHead: ['出资方', '投资额', '占比'],
  parties: { government: '政府', socialCapital: '社会资本', residents: '居民', total: '合计' },
  waves: '满意度调查批次',
  waveHead: ['批次', '日期', '答卷', '满意率', '提升', '是否达标'],
  months: '逐月投资回收',
  monthHead: ['月份', '净收益', '累计', '回收比例'],
  kpiTrend: '考核指标趋势',
  satisfactionLegend: '柱：各批次满意率。虚线：基线 ×（1 + 目标）。',
  paybackLegend: '折线：自回收期起算的累计净收益。虚线：社会资本投资额。',
};

const EN: Labels = {
  title: (site, kind, date) => `Monitoring report: ${site}, ${kind} ${date}`,
  kinds: { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' },
  periodLine: (range, tz, state) => `${range} (${tz}), ${state}`,
  stop: '. ',
  colon: ': ',
  comma: ', ',
  complete: 'complete',
  running: 'running (so far)',
  households: (n) => `${n} registered households`,
  comparedWith: (kind, range) => `Compared with the previous ${kind} (${range})`,
  generated: (at) => `Generated ${at}`,
  summary: (m, n, i, z) => [`${m} met, ${n} not met`, `${i} informative, ${z} without a value.`],
  sections: {
    kpis: 'KPIs',
    buildings: 'Buildings',
    trend: 'Trend',
    silent: 'Silent devices',
    fullBins: 'Bins most often full',
    gates: 'Gates with most security alarms',
    quality: 'Data quality',
  },
  kpiHead: ['KPI', 'value', 'target', 'met', 'previous', 'change', 'numerator / denominator', 'status'],
  buildingsIntro: (t) =>
    `Worst coverage first. "Needed": households of the building that would still have to sort correctly for it to reach ${t}.`,
  buildingHead: [
    'building',
    'households',
    'coverage',
    'sorting households',
    'needed',
    'participation',
    'participating households',
  ],
  siteNeeded: (c, p) =>
    `Whole site: ${c} more households sorting correctly reach the coverage target; ${p} more households taking part reach the participation target.`,
  noBuildings: 'No per-building values (the site has no household roster).',
  trendIntro: (n, kind) => `The last ${n} ${kind}s, from the stored KPI results; a running period is marked.`,
  runningMark: ' (running)',
  partialMark: ' (partial)',
  silentIntro: (h) => `Registered devices not heard for at least ${h} hours, longest first.`,
  silentHead: ['device', 'type', 'building', 'last heard', 'silent (hours)'],
  fullIntro: 'Readings at ≥ 90% fill plus overflow alarms in the period.',
  fullHead: ['bin', 'readings ≥ 90%', 'overflow alarms', 'total'],
  gateHead: ['gate', 'forced open', 'tailgating', 'climbing', 'total'],
  deadLetters: (n) => `${n} dead letters received in the period.`,
  dlHead: ['dead-letter reason', 'count'],
  warnHead: ['KPI', 'warning'],
  met: 'met',
  notMet: 'not met',
  informative: 'informative',
  ok: 'ok',
  warning: 'warning',
  noValue: 'no value',
  never: 'never',
  none: 'none',
  pp: 'pp',
  target: 'target',
  chartLegend:
    'Bars: value (green met, red not met, blue informative). Dashed line: target. Ratios on 0–100%, counts on their own scale.',
  trendLegend: 'Line: value per period. Dashed line: target. Hollow point: running period.',
  buildingLegend: 'Bars: coverage per building (green met, red not met). Dashed line: target.',
  ev: EV_EN,
};

const ZH: Labels = {
  title: (site, kind, date) =>
    `${site} 监测${{ day: '日报', week: '周报', month: '月报', quarter: '季报', year: '年报' }[kind]}：${date}`,
  kinds: { day: '日', week: '周', month: '月', quarter: '季度', year: '年' },
  periodLine: (range, tz, state) => `${range}（${tz}），${state}`,
  stop: '。',
  colon: '：',
  comma: '，',
  complete: '已结束',
  running: '进行中（截至目前）',
  households: (n) => `登记住户 ${n} 户`,
  comparedWith: (kind, range) => `与上一${kind}（${range}）相比`,
  generated: (at) => `生成于 ${at}`,
  summary: (m, n, i, z) => [`${m} 项达标，${n} 项未达标`, `${i} 项仅供参考，${z} 项无数值。`],
  sections: {
    kpis: '指标',
    buildings: '各楼栋',
    trend: '趋势',
    silent: '离线设备',
    fullBins: '满溢最多的垃圾桶',
    gates: '安全告警最多的门禁',
    quality: '数据质量',
  },
  kpiHead: ['指标', '数值', '目标', '是否达标', '上期', '变化', '分子 / 分母', '状态'],
  buildingsIntro: (t) => `按覆盖率从低到高排列。“尚需”：该楼栋还需多少户正确分类才能达到 ${t}。`,
  buildingHead: ['楼栋', '住户', '覆盖率', '正确分类住户', '尚需', '参与率', '参与住户'],
  siteNeeded: (c, p) => `全社区：再有 ${c} 户正确分类即可达到覆盖率目标；再有 ${p} 户参与即可达到参与率目标。`,
  noBuildings: '无分楼栋数据（该社区没有住户名册）。',
  trendIntro: (n, kind) =>
    `最近 ${n} ${{ day: '天', week: '周', month: '个月', quarter: '个季度', year: '年' }[kind]}，取自已存储的指标结果；尚未结束的周期已标出。`,
  runningMark: '（进行中）',
  partialMark: '（未完）',
  silentIntro: (h) => `至少 ${h} 小时未上报的登记设备，离线最久的在前。`,
  silentHead: ['设备', '类型', '楼栋', '最后上报', '离线（小时）'],
  fullIntro: '本期内满溢度 ≥ 90% 的读数加满溢告警。',
  fullHead: ['垃圾桶', '读数 ≥ 90%', '满溢告警', '合计'],
  gateHead: ['门禁', '强行开门', '尾随', '攀爬', '合计'],
  deadLetters: (n) => `本期收到死信 ${n} 条。`,
  dlHead: ['死信原因', '条数'],
  warnHead: ['指标', '警告'],
  met: '达标',
  notMet: '未达标',
  informative: '仅供参考',
  ok: '正常',
  warning: '警告',
  noValue: '无数值',
  never: '从未上报',
  none: '无',
  pp: '个百分点',
  target: '目标',
  chartLegend: '柱：数值（绿色达标，红色未达标，蓝色仅供参考）。虚线：目标。比率按 0–100%，次数按各自刻度。',
  trendLegend: '折线：各周期数值。虚线：目标。空心点：尚未结束的周期。',
  buildingLegend: '柱：各楼栋覆盖率（绿色达标，红色未达标）。虚线：目标。',
  ev: EV_ZH,
};

const LABELS: Readonly<Record<ReportLanguage, Labels>> = { en: EN, 'zh-CN': ZH };

/** The labels of `lang`. */
export function labelsOf(lang: ReportLanguage): Labels {
  return LABELS[lang];
}

/** Is `text` one of {@link REPORT_LANGUAGES}? */
export function isReportLanguage(text: unknown): text is ReportLanguage {
  return typeof text === 'string' && (REPORT_LANGUAGES as readonly string[]).includes(text);
}
