/** The report's catalogue (src/report/i18n.ts): every KPI has a title in every language, every label too. */
import { describe, expect, it } from 'vitest';
import { KPI_IDS } from '../../src/kpi/index.ts';
import { EVALUATION_TITLES, KPI_TITLES, kpiTitle, labelsOf, REPORT_LANGUAGES } from '../../src/report/index.ts';

describe('report catalogue', () => {
  it('every KPI id has a non-empty, distinct title in zh-CN and en', () => {
    expect(Object.keys(KPI_TITLES).sort()).toEqual([...KPI_IDS].sort());
    for (const lang of REPORT_LANGUAGES) {
      const titles = KPI_IDS.map((id) => kpiTitle(id, lang));
      for (const t of titles) expect(t.trim()).not.toBe('');
      expect(new Set(titles).size).toBe(KPI_IDS.length);
    }
    for (const id of KPI_IDS) expect(kpiTitle(id, 'zh-CN')).toMatch(/[\u4e00-\u9fff]/);
    for (const id of KPI_IDS) expect(kpiTitle(id, 'en')).toMatch(/^[A-Z][\w ()₂]+$/);
    expect(kpiTitle('sorting_coverage', 'zh-CN')).toBe('垃圾分类覆盖率');
    expect(kpiTitle('participation_rate', 'zh-CN')).toBe('参与率');
    expect(kpiTitle('sorting_accuracy', 'zh-CN')).toBe('分类准确率');
    expect(kpiTitle('device_availability', 'zh-CN')).toBe('设备在线率');
  });

  it('both languages have the same labels, none empty, table headers of the same width', () => {
    const [zh, en] = [labelsOf('zh-CN'), labelsOf('en')];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const l of [zh, en]) {
      for (const [key, v] of Object.entries(l)) {
        if (typeof v === 'string') expect(v.trim(), key).not.toBe('');
      }
    }
    for (const key of ['kpiHead', 'buildingHead', 'silentHead', 'fullHead', 'gateHead', 'dlHead', 'warnHead'] as const)
      expect(zh[key]).toHaveLength(en[key].length);
    expect(Object.keys(zh.sections).sort()).toEqual(Object.keys(en.sections).sort());
  });

  it('the evaluation scorecard has every label and row title in both languages', () => {
    const [zh, en] = [labelsOf('zh-CN').ev, labelsOf('en').ev];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const l of [zh, en]) {
      for (const [key, v] of Object.entries(l)) if (typeof v === 'string') expect(v.trim(), key).not.toBe('');
    }
    for (const key of ['head', 'fundingHead', 'waveHead', 'monthHead'] as const)
      expect(zh[key]).toHaveLength(en[key].length);
    expect(Object.keys(zh.parties).sort()).toEqual(Object.keys(en.parties).sort());
    expect(zh.title).toBe('项目评估');
    expect(en.title).toBe('Programme evaluation');
    for (const t of Object.values(EVALUATION_TITLES)) {
      expect(t['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      expect(t.en).toMatch(/^[A-Z][\w -]+$/);
    }
  });
});
