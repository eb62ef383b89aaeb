/**
 * The hub's own series (src/store/self-stats.ts): the exact points of a stats snapshot, the write
 * latency over an interval from the histogram's delta, and the sampler's failure handling against
 * a spool double (the real spool and InfluxDB: test/e2e/self-stats.test.ts).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS } from '../../src/broker/index.ts';
import { emptyHistogram, observeDuration } from '../../src/histogram.ts';
import { createLogger } from '../../src/log.ts';
import { REJECT_REASON_LIST } from '../../src/normalise/reasons.ts';
import type { Point } from '../../src/point.ts';
import { SelfStats, SELF_STATS_TOPIC, selfStatsPoints, type SelfStatsSnapshot } from '../../src/store/self-stats.ts';
import type { NewSpoolRecord } from '../../src/store/spool/record.ts';

const AT = Date.parse('2026-11-27T00:05:00Z');
const NS = '1795737900000000000';

/** A snapshot as `hub.stats()` gives it, with every stage present. */
function snapshot(latencies: number[] = []): SelfStatsSnapshot {
  const writeDuration = emptyHistogram();
  for (const s of latencies) observeDuration(writeDuration, s);
  const refusals = Object.fromEntries(Object.keys(REFUSAL_REASONS).map((r) => [r, 0])) as Record<
    keyof typeof REFUSAL_REASONS,
    number
  >;
  refusals.bad_secret = 2;
  refusals.publish_foreign = 1;
  return {
    broker: { connections: 3, gateways: ['gw-east', 'gw-west'], refusals },
    ingest: { messages: 120, pointsWritten: 300, deadLettered: 4, failed: 1 },
    writer: { batchesInFlight: 1, writeDuration },
    spool: {
      bytes: 8192,
      segments: 2,
      refused: 0,
      oldestRecordAgeMs: 1500,
      drainer: { pointsWritten: 290, retries: 5, lagBytes: 1024 },
    },
    deadLetters: { bad_json: 3, schema: 1 },
  };
}

describe('selfStatsPoints', () => {
  it('turns a snapshot into one hub_stats point and a hub_rejects point per known reason', () => {
    const points = selfStatsPoints(snapshot([0.02, 0.2]), undefined, 'hub-a', AT);
    const stats: Point = {
      measurement: 'hub_stats',
      tags: { instance: 'hub-a' },
      fields: {
        messages: 120,
        points_spooled: 300,
        dead_lettered: 4,
        failed: 1,
        mqtt_connections: 3,
        gateways_connected: 2,
        mqtt_refusals: 3,
        points_written: 290,
        drain_retries: 5,
        spool_refused: 0,
        spool_bytes: 8192,
        spool_lag_bytes: 1024,
        spool_segments: 2,
        spool_oldest_age_s: 1.5,
        batches_in_flight: 1,
        write_requests: 2,
        write_latency_mean_s: 0.11,
        write_latency_p95_s: 0.235,
      },
      time: NS,
    };
    expect(points[0]).toEqual(stats);
    const rejects = points.slice(1);
    expect(rejects).toHaveLength(Object.keys(REFUSAL_REASONS).length + REJECT_REASON_LIST.length);
    expect(rejects).toContainEqual({
      measurement: 'hub_rejects',
      tags: { instance: 'hub-a', stage: 'mqtt', reason: 'bad_secret' },
      fields: { count: 2 },
      time: NS,
    });
    expect(rejects).toContainEqual({
      measurement: 'hub_rejects',
      tags: { instance: 'hub-a', stage: 'mqtt', reason: 'anonymous' },
      fields: { count: 0 },
      time: NS,
    });
    expect(rejects).toContainEqual({
      measurement: 'hub_rejects',
      tags: { instance: 'hub-a', stage: 'dead_letter', reason: 'bad_json' },
      fields: { count: 3 },
      time: NS,
    });
    expect(rejects).toContainEqual({
      measurement: 'hub_rejects',
      tags: { instance: 'hub-a', stage: 'dead_letter', reason: 'too_old' },
      fields: { count: 0 },
      time: NS,
    });
  });

  it('writes latency over the interval only: the delta of the histogram since the previous sample', () => {
    const before = snapshot([0.02, 0.02, 0.02]);
    const after = snapshot([0.02, 0.02, 0.02, 3, 3]);
    const fields = selfStatsPoints(after, before, 'h', AT)[0]!.fields;
    expect(fields.write_requests).toBe(5);
    expect(fields.write_latency_mean_s).toBeCloseTo(3);
    // Both new requests fell in the (2.5, 5] bucket: p95 interpolates within it.
    expect(fields.write_latency_p95_s).toBeCloseTo(2.5 + 2.5 * 0.95);
    // No request in the interval: no latency, rather than a made-up 0.
    const idle = selfStatsPoints(after, after, 'h', AT)[0]!.fields;
    expect(idle).not.toHaveProperty('write_latency_mean_s');
    expect(idle).not.toHaveProperty('write_latency_p95_s');
    expect(idle.write_requests).toBe(5);
  });

  it('a request slower than the last bucket gives that bound as p95, as Prometheus does', () => {
    const fields = selfStatsPoints(snapshot([60]), undefined, 'h', AT)[0]!.fields;
    expect(fields.write_latency_p95_s).toBe(10);
    expect(fields.write_latency_mean_s).toBe(60);
  });

  it('leaves out the stages not started yet, and reasons outside the catalogues are kept', () => {
    const points = selfStatsPoints({ deadLetters: { something_new: 1 } }, undefined, 'h', AT);
    expect(points.filter((p) => p.measurement === 'hub_stats')).toEqual([]);
    expect(points.every((p) => p.tags.stage === 'dead_letter')).toBe(true);
    expect(points).toContainEqual({
      measurement: 'hub_rejects',
      tags: { instance: 'h', stage: 'dead_letter', reason: 'something_new' },
      fields: { count: 1 },
      time: NS,
    });
  });
});

describe('SelfStats', () => {
  const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, done) => done() }));

  it('appends each sample to the spool as one record, stamped with the hub clock', async () => {
    const records: NewSpoolRecord[] = [];
    const s = new SelfStats({
      intervalMs: 60_000,
      instance: 'h',
      stats: () => snapshot(),
      spool: { append: async (r) => void records.push(r) },
      logger: quiet(),
      now: () => AT,
    });
    expect(await s.sample()).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]!.at).toBe(AT);
    expect(records[0]!.source).toEqual({ topic: SELF_STATS_TOPIC, receivedAt: AT, payload: Buffer.alloc(0) });
    expect(records[0]!.points).toEqual(selfStatsPoints(snapshot(), undefined, 'h', AT));
    expect(s.counts()).toEqual({ samples: 1, failures: 0, skipped: 0 });
  });

  it('never throws: a failing snapshot or spool is counted, a full spool skips the sample', async () => {
    let full = false;
    let broken: 'stats' | 'spool' | undefined = 'stats';
    const s = new SelfStats({
      intervalMs: 60_000,
      stats: () => {
        if (broken === 'stats') throw new Error('boom');
        return snapshot();
      },
      spool: { append: () => (broken === 'spool' ? Promise.reject(new Error('disk')) : Promise.resolve()) },
      full: () => full,
      logger: quiet(),
    });
    expect(await s.sample()).toBe(false);
    broken = 'spool';
    expect(await s.sample()).toBe(false);
    broken = undefined;
    full = true;
    expect(await s.sample()).toBe(false);
    full = false;
    expect(await s.sample()).toBe(true);
    expect(s.counts()).toEqual({ samples: 1, failures: 2, skipped: 1 });
    s.stop();
    expect(await s.sample()).toBe(false);
  });

  it('refuses an interval that is not positive', () => {
    expect(
      () =>
        new SelfStats({
          intervalMs: 0,
          stats: () => snapshot(),
          spool: { append: () => Promise.resolve() },
          logger: quiet(),
        }),
    ).toThrow(RangeError);
  });
});
