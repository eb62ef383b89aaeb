/**
 * The hub runs the KPI scheduler (docs/contract.md §5) on what came in over MQTT: deposits
 * published by a gateway go through the spool into InfluxDB, a scheduled KPI run computes the
 * day's sorting coverage from them, writes it to the `kpi` measurement and publishes it retained
 * on `{root}/{site}/kpi/sorting_coverage` (docs/contract.md §2). The KPI maths itself is tested in
 * test/kpi/; this test proves the wiring.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { query } from '../../src/store/index.ts';
import { mosquittoSub } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  fixedClock,
  mosquittoPublish,
  ROOT,
  startHub,
  WATCHER,
  type E2eHub,
} from './helpers.ts';

// 12:00 in Asia/Shanghai on 2026-11-27: the current day period is that local day.
const clock = fixedClock('2026-11-27T04:00:00Z');
let h: E2eHub;

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('e2e_kpi'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    observer: true,
    clock,
    // Every second (node-cron's six-field form), so the test need not wait five minutes.
    kpi: { enabled: true, schedule: '* * * * * *', periods: ['day'], publishPeriod: 'day' },
  });
});
afterAll(async () => {
  await dropDatabase(h.conn);
  await h.stop();
});

function deposit(id: string, household: string, sorting: 'correct' | 'incorrect'): string {
  return JSON.stringify({
    id,
    ts: '2026-11-27T11:30:00+08:00',
    type: 'deposit',
    household,
    category: 'kitchen',
    weight: 1.2,
    sorting,
    auth: 'card',
  });
}

describe('KPI scheduler in the hub', () => {
  it('computes coverage from deposits ingested over MQTT, stores it and publishes it retained', async () => {
    const topic = deviceTopic('gw-east', 'bin-01', 'event');
    const sent = [
      deposit('e-1', 'H-1-101', 'correct'),
      deposit('e-2', 'H-1-102', 'correct'),
      deposit('e-3', 'H-1-102', 'correct'),
      deposit('e-4', 'H-1-103', 'incorrect'),
    ];
    for (const m of sent) expect((await mosquittoPublish(h.port, EAST, topic, { m })).code).toBe(0);
    await drained(h);

    // Two distinct households sorted correctly, of the inventory's 1,200.
    const want = 2 / 1200;
    // KPI points are stamped at the period's start: local midnight, 16:00 UTC the day before.
    type Row = { value?: number; numerator?: number; denominator?: number; met?: boolean };
    let rows: Row[] = [];
    // Bounded wait for a scheduled run (every second) after the deposits landed.
    await vi.waitFor(
      async () => {
        rows = (
          await query<Row>(
            h.conn,
            `SELECT * FROM "kpi" WHERE "kpi" = 'sorting_coverage' AND "period" = 'day' AND time = '2026-11-26T16:00:00Z'`,
          )
        ).map((r) => r.values);
        if (!(rows.length === 1 && rows[0]!.numerator === 2))
          throw new Error(`no KPI run saw the deposits within 15 s: ${JSON.stringify(rows)}`);
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(rows[0]).toMatchObject({ numerator: 2, denominator: 1200, met: false });
    expect(rows[0]!.value as number).toBeCloseTo(want, 12);

    // A read-only observer subscribing later still gets the latest value: it is retained.
    const sub = mosquittoSub(h.port, WATCHER, `${ROOT}/maple-court/kpi/sorting_coverage`, ['-C', '1', '-W', '10']);
    const r = await sub.done;
    expect(r.code).toBe(0);
    const msg = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(msg).toMatchObject({ kpi: 'sorting_coverage', period: 'day', target: 0.95, met: false });
    expect(msg.value as number).toBeCloseTo(want, 12);
  });

  it('closes the day once it has ended, closeDelay has passed and the spool has nothing waiting', async () => {
    const closedBefore = h.hub.stats().kpi!.closed;
    expect(closedBefore).toBe(0);
    // 00:20 the next local day: past the day's end and the default 10 min closeDelay.
    clock.set('2026-11-27T16:20:00Z');
    await vi.waitFor(
      () => {
        if (h.hub.stats().kpi!.closed === closedBefore)
          throw new Error(`the ended day was not closed within 15 s: ${JSON.stringify(h.hub.stats().spool)}`);
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(h.hub.stats().kpi!.closed).toBe(1);
  });
});
