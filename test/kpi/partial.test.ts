/**
 * Partial answers: an InfluxDB with `[http] max-row-limit` cuts a non-chunked answer at that many
 * rows, flags only some of the cuts, and drops later statements without a word. Every query fails
 * with the retryable HUB_ERR_INFLUX_PARTIAL instead of returning fewer rows (src/store/query.ts),
 * so a KPI run on such a server writes nothing rather than a wrong value, while the same data on a
 * server without the limit gives the hand-computed values (test/kpi/dataset.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis, recomputeKpis, type ComputeDeps, type KpiResult } from '../../src/kpi/index.ts';
import {
  connectInflux,
  ensureDatabase,
  InfluxPointWriter,
  query,
  type InfluxConnection,
} from '../../src/store/index.ts';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import { EXPECTED, points, SITE } from './dataset.ts';
import { freshDatabase, inventoryOf, kpiConfig } from './helpers.ts';

/**
 * Rows the limited server answers: the KPIs of day B need 13 (and 1 for the end statement), those
 * of the month 16.
 */
const LIMIT = 14;
const NOW = Date.parse('2026-12-05T00:00:00Z');
const DATABASE = 'partial';

let server: InfluxServer;
let limited: InfluxConnection;
let limitedWriter: InfluxPointWriter;
let normal: ComputeDeps;
let normalWriter: InfluxPointWriter;

/** `m` points: series d=a with 7 rows, d=b with 7 (together LIMIT), d=c with 3 (times 1…n ns). */
function series(): Array<{ measurement: string; tags: Record<string, string>; fields: { v: number }; time: string }> {
  const out = [];
  for (const [d, n] of [
    ['a', 7],
    ['b', 7],
    ['c', 3],
  ] as const)
    for (let i = 1; i <= n; i++) out.push({ measurement: 'm', tags: { d }, fields: { v: i }, time: String(i) });
  return out;
}

/** The raw answer of the limited server, as InfluxDB gives it. */
async function raw(q: string): Promise<{ results: Array<{ statement_id: number; partial?: boolean }> }> {
  const body = new URLSearchParams({ q, db: DATABASE });
  const r = await fetch(`${server.url}/query`, { method: 'POST', body });
  return (await r.json()) as { results: Array<{ statement_id: number; partial?: boolean }> };
}

const partialError = { code: 'HUB_ERR_INFLUX_PARTIAL', retryable: true };
const byKpi = (results: KpiResult[]): Map<string, KpiResult> => new Map(results.map((r) => [r.kpi, r]));

beforeAll(async () => {
  server = await startInflux({ maxRowLimit: LIMIT });
  limited = connectInflux({ url: server.url, database: DATABASE });
  await ensureDatabase(limited);
  limitedWriter = new InfluxPointWriter(limited);
  await limitedWriter.write([...points(), ...series()]);
  const db = await freshDatabase('kpi_partial');
  normalWriter = db.writer;
  await normalWriter.write(points());
  normal = { conn: db.conn, inventory: inventoryOf(SITE), config: kpiConfig(), now: () => NOW };
}, 90_000);

afterAll(async () => {
  await limitedWriter?.close();
  await normalWriter?.close();
  await server?.destroy();
});

describe('query() against a server with max-row-limit', () => {
  it('InfluxDB itself drops a statement after the cut without marking anything', async () => {
    // d=a and d=b: exactly 14 rows, then the second statement is simply missing.
    const answer = await raw(`SELECT v FROM m WHERE d = 'a' OR d = 'b' GROUP BY d; SELECT v FROM m WHERE d = 'c'`);
    expect(answer.results.map((r) => r.statement_id)).toEqual([0]);
    expect(answer.results[0]!.partial).toBeUndefined();
  });

  it('fails on that silent cut: the second statement has no result', async () => {
    await expect(
      query(limited, [`SELECT v FROM m WHERE d = 'a' OR d = 'b' GROUP BY d`, `SELECT v FROM m WHERE d = 'c'`]),
    ).rejects.toMatchObject({ ...partialError, message: expect.stringMatching(/no result for statement 1/) });
  });

  it('fails on a statement InfluxDB marks partial', async () => {
    await expect(query(limited, 'SELECT v FROM m GROUP BY d')).rejects.toMatchObject({
      ...partialError,
      message: expect.stringMatching(/statement 0 is marked partial.*max-row-limit/),
    });
  });

  it('fails when the cut falls exactly on the end of the last statement (the end statement is missing)', async () => {
    // 14 rows exactly: whole, but it cannot be told from a cut answer, so it is refused as well.
    await expect(query(limited, `SELECT v FROM m WHERE d = 'a' OR d = 'b' GROUP BY d`)).rejects.toMatchObject(
      partialError,
    );
  });

  it('returns an answer that fits whole', async () => {
    const rows = await query(limited, [`SELECT v FROM m WHERE d = 'a'`, `SELECT count(v) FROM m WHERE d = 'c'`]);
    expect(rows.map((r) => [r.statement, r.values['v'] ?? r.values['count']])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
      [0, 5],
      [0, 6],
      [0, 7],
      [1, 3],
    ]);
  });
});

describe('a KPI run against a server with max-row-limit', () => {
  const limitedDeps = (): ComputeDeps => ({ ...normal, conn: limited });

  it('a month whose answer is cut fails (retryable) and writes nothing', async () => {
    const deps = { ...limitedDeps(), writer: limitedWriter };
    await expect(recomputeKpis(deps, SITE.id, 'month', EXPECTED.month.date)).rejects.toMatchObject(partialError);
    expect(await query(limited, 'SELECT count("status") FROM "kpi"')).toEqual([]);
  });

  it('the same month on a server without the limit has the hand-computed values', async () => {
    const results = byKpi(await computeKpis(normal, SITE.id, 'month', EXPECTED.month.date));
    for (const [kpi, [numerator, denominator]] of Object.entries(EXPECTED.month.kpis)) {
      expect(results.get(kpi)?.numerator, kpi).toBe(numerator);
      expect(results.get(kpi)?.denominator, kpi).toBe(denominator);
    }
  });

  it('a day whose answer fits is computed on the limited server too, with the right values', async () => {
    const results = byKpi(await computeKpis(limitedDeps(), SITE.id, 'day', EXPECTED.dayB.date));
    for (const [kpi, [numerator, denominator]] of Object.entries(EXPECTED.dayB.kpis)) {
      expect(results.get(kpi)?.numerator, kpi).toBe(numerator);
      expect(results.get(kpi)?.denominator, kpi).toBe(denominator);
    }
  });
});
