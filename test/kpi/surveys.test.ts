/**
 * The survey summary and upload check as pure functions (src/kpi/surveys/): the cases the HTTP
 * test (test/api/surveys.test.ts) does not reach: answers of households since removed from the
 * roster, two stored answers of one household in a wave, a zero or missing baseline, and the
 * default gain target of the config.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { checkSurveyUpload, summariseSurveys, type StoredAnswer } from '../../src/kpi/index.ts';

const T1 = Date.parse('2026-03-30T16:00:00Z'); // 2026-03-31 in Asia/Shanghai
const T2 = Date.parse('2026-09-29T16:00:00Z'); // 2026-09-30
const a = (wave: string, household: string, score: number, timeMs: number, uploadedAt = '2026-10-01T00:00:00.000Z') =>
  ({ wave, household, score, timeMs, uploadedAt }) satisfies StoredAnswer;
const input = { site: 's', timezone: 'Asia/Shanghai', roster: undefined, baselineWave: undefined, target: 0.3 };

describe('summariseSurveys', () => {
  it('counts the later uploaded of two answers of a household, and roster households as respondents', () => {
    const s = summariseSurveys({ ...input, roster: new Set(['h1', 'h2', 'h3', 'h4']) }, [
      a('Q1', 'h1', 2, T1),
      a('Q1', 'h2', 4, T1),
      a('Q3', 'h1', 5, T2, '2026-10-02T00:00:00.000Z'),
      a('Q3', 'h1', 1, T2, '2026-10-01T00:00:00.000Z'), // older: replaced
      a('Q3', 'gone', 4, T2), // a household no longer in the roster
    ]);
    expect(s.baseline).toBe('Q1');
    expect(s.households).toBe(4);
    expect(s.waves[1]).toEqual({
      wave: 'Q3',
      date: '2026-09-30',
      responses: 2,
      respondents: 1,
      satisfied: 2,
      responseRate: 0.25,
      satisfactionRate: 1,
      gain: 1,
      met: true,
    });
  });

  it('gives no gain against a zero baseline or a configured baseline without answers', () => {
    const answers = [a('Q1', 'h1', 1, T1), a('Q3', 'h1', 5, T2)];
    const zero = summariseSurveys(input, answers);
    expect(zero.waves.map((w) => [w.gain, w.met])).toEqual([
      [null, null],
      [null, null],
    ]);
    const missing = summariseSurveys({ ...input, baselineWave: 'Q0' }, answers);
    expect(missing).toMatchObject({ baseline: 'Q0', baselineFrom: 'inventory' });
    expect(missing.waves.every((w) => w.gain === null)).toBe(true);
    expect(summariseSurveys(input, [])).toMatchObject({ baseline: null, baselineFrom: null, waves: [] });
  });

  it('decides the target exactly: 13 of 30 against 1 of 3 is +30 %', () => {
    const answers = [
      ...[0, 1, 2].map((i) => a('Q1', `b${i}`, i === 0 ? 5 : 1, T1)),
      ...Array.from({ length: 30 }, (_, i) => a('Q3', `n${i}`, i < 13 ? 4 : 3, T2)),
    ];
    const s = summariseSurveys(input, answers);
    expect(s.waves[1]!.met).toBe(true);
    const below = summariseSurveys(input, [
      ...answers.slice(0, 3),
      ...answers.slice(3).map((x, i) => (i === 0 ? { ...x, score: 3 } : x)),
    ]);
    expect(below.waves[1]!.met).toBe(false);
  });

  it('the gain target defaults to 0.30', () => {
    expect(configSchema.parse({ pseudonymKey: '0123456789abcdef' }).evaluation.targets.satisfactionGain).toBe(0.3);
  });
});

describe('checkSurveyUpload', () => {
  it('tags answers at a site without a roster with building none, households normalised then pseudonymised', () => {
    const seen: string[] = [];
    const r = checkSurveyUpload(
      { site: 's', wave: 'Q1', date: '2026-03-31', responses: [{ household: ' ｗ-1-01 ', score: 5 }] },
      { timezone: 'Asia/Shanghai', roster: undefined },
      (raw) => (seen.push(raw), `px_${raw}`),
      0,
    );
    expect(seen).toEqual(['W-1-01']);
    expect(r.points).toEqual([
      {
        measurement: 'survey',
        tags: { site: 's', wave: 'Q1', building: 'none', household: 'px_W-1-01' },
        fields: { score: 5, uploaded_at: '1970-01-01T00:00:00.000Z' },
        time: (BigInt(T1) * 1_000_000n).toString(),
      },
    ]);
  });
});
