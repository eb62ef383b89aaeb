import { describe, expect, it } from 'vitest';
import type { DeviceInfo, DeviceType } from '../../src/config/inventory.ts';
import type { DeviceModel, ModelResult } from '../../src/normalise/model.ts';
import { createNormaliser, unknownDeviceReject, type NormaliserOptions } from '../../src/normalise/pipeline.ts';
import { REJECT_REASONS } from '../../src/normalise/reasons.ts';
import { loadRegistry, type ModelLookup } from '../../src/normalise/registry.ts';

const NOW = Date.parse('2026-11-27T00:05:00Z');
const KEY = 'fixture-pseudonym-key-0123456789';
const registry = await loadRegistry();

function device(type: DeviceType, model: string, building = 'b1'): DeviceInfo {
  return { site: 'maple-court', gateway: 'gw-east', id: 'dev-01', type, model, building };
}

function make(models: ModelLookup = registry, extra: Partial<NormaliserOptions> = {}) {
  const n = createNormaliser({ models, pseudonymKey: KEY, now: () => NOW, ...extra });
  return (dev: DeviceInfo, channel: 'telemetry' | 'event', payload: unknown, raw?: Buffer) =>
    n.normalise({
      site: dev.site,
      gateway: dev.gateway,
      device: dev,
      channel,
      payload: raw ?? Buffer.from(JSON.stringify(payload)),
      receivedAt: NOW,
    });
}

/** A test model: `{"ok":n}` → a `probe` point, `{"boom":true}` throws, `{"bad":…}` returns a broken draft. */
const probe: DeviceModel = {
  type: 'waste-bin',
  model: 'probe',
  description: 'test model',
  normalise(_channel, element): ModelResult {
    const e = element as Record<string, unknown>;
    if (e.boom) throw new TypeError('kaboom');
    if (e.throwNull) throw Object.create(null);
    if (e.bad === 'nan')
      return { ok: true, value: { points: [{ measurement: 'probe', tags: {}, fields: { v: Number.NaN } }] } };
    if (e.bad === 'site')
      return { ok: true, value: { points: [{ measurement: 'probe', tags: { site: 'elsewhere' }, fields: { v: 1 } }] } };
    if (e.bad === 'null') return { ok: true, value: { points: [null as never] } };
    if (e.bad === 'time') return { ok: true, value: { timeMs: Number.NaN, points: [] } };
    if (e.bad === 'nofields') return { ok: true, value: { points: [{ measurement: 'probe', tags: {}, fields: {} }] } };
    if (e.event)
      return {
        ok: true,
        value: {
          eventId: String(e.event),
          timeMs: e.t as number | undefined,
          points: [{ measurement: 'probe', tags: {}, fields: { v: 1 } }],
        },
      };
    return { ok: true, value: { points: [{ measurement: 'probe', tags: { k: 'x' }, fields: { v: Number(e.ok) } }] } };
  },
};
const probeLookup: ModelLookup = {
  get: (type, model) => (type === 'waste-bin' && model === 'probe' ? probe : undefined),
};
const PROBE = device('waste-bin', 'probe');

describe('pipeline', () => {
  it('rejects one bad element of an array and keeps the others', () => {
    const r = make()(device('waste-bin', 'generic-v1'), 'telemetry', [
      { ts: '2026-11-27T08:00:00+08:00', battery: 80 },
      { ts: '2026-11-27T08:01:00+08:00', battery: 180 },
      { ts: '2026-11-27T08:02:00+08:00', battery: 79 },
    ]);
    expect(r.points.map((p) => p.fields.battery_pct)).toEqual([80, 79]);
    expect(r.rejects).toEqual([
      {
        reason: 'schema',
        detail: expect.stringContaining('battery'),
        index: 1,
        element: { ts: '2026-11-27T08:01:00+08:00', battery: 180 },
      },
    ]);
  });

  it('turns a model that throws into normaliser_error for that element only, and carries on', () => {
    const run = make(probeLookup);
    const r = run(PROBE, 'telemetry', [{ ok: 1 }, { boom: true }, { ok: 3 }, { throwNull: true }]);
    expect(r.points.filter((p) => p.measurement === 'probe').map((p) => p.fields.v)).toEqual([1, 3]);
    expect(r.rejects.map((j) => [j.reason, j.index])).toEqual([
      ['normaliser_error', 1],
      ['normaliser_error', 3],
    ]);
    expect(r.rejects[0]?.detail).toContain('kaboom');
    expect(run(PROBE, 'telemetry', { ok: 4 }).rejects).toEqual([]);
  });

  it.each(['nan', 'site', 'null', 'time', 'nofields'])(
    'turns invalid model output (%s) into normaliser_error',
    (bad) => {
      const r = make(probeLookup)(PROBE, 'telemetry', { bad });
      expect(r.points).toEqual([]);
      expect(r.rejects.map((j) => j.reason)).toEqual(['normaliser_error']);
    },
  );

  it('turns a device whose model is not registered into normaliser_error, never a throw', () => {
    const r = make()(device('waste-bin', 'nope'), 'telemetry', {});
    expect(r.rejects.map((j) => j.reason)).toEqual(['normaliser_error']);
  });

  it('refuses an event without time (docs/contract.md §4)', () => {
    expect(make(probeLookup)(PROBE, 'event', { event: 'e1' }).rejects.map((j) => j.reason)).toEqual(['schema']);
  });

  it('adds common tags, event_id, and device_type only where the contract lists it', () => {
    const run = make();
    const r = run(device('waste-bin', 'generic-v1', 'none'), 'event', {
      id: 'e-1',
      ts: '2026-11-27T08:01:00+08:00',
      type: 'alarm',
      alarm: 'jam',
      severity: 'info',
    });
    const alarm = r.points.find((p) => p.measurement === 'alarm');
    expect(alarm?.tags).toEqual({
      site: 'maple-court',
      gateway: 'gw-east',
      device: 'dev-01',
      building: 'none',
      device_type: 'waste-bin',
      alarm: 'jam',
      severity: 'info',
    });
    expect(alarm?.fields.event_id).toBe('e-1');
    const t = run(device('waste-bin', 'generic-v1'), 'telemetry', { compartments: [{ category: 'kitchen', fill: 1 }] });
    expect(t.points.find((p) => p.measurement === 'bin_level')?.tags.device_type).toBeUndefined();
    expect(t.points.find((p) => p.measurement === 'device_health')?.tags.device_type).toBe('waste-bin');
  });

  it('lands a replayed event on the same point, and writes one heartbeat for it', () => {
    const run = make();
    const e = {
      id: 'e-9',
      ts: '2026-11-27T08:01:00.250+08:00',
      type: 'deposit',
      household: 'H-1',
      category: 'kitchen',
      weight: 1,
      sorting: 'correct',
      auth: 'card',
    };
    const once = run(device('waste-bin', 'generic-v1'), 'event', e).points;
    const twice = run(device('waste-bin', 'generic-v1'), 'event', [e, e]).points;
    expect(twice.map((p) => p.measurement)).toEqual(['deposit', 'device_health', 'deposit']);
    expect(twice[2]).toEqual(twice[0]);
    expect(twice.slice(0, 2)).toEqual(once);
    expect(BigInt(twice[0]!.time) / 1_000_000n).toBe(BigInt(Date.parse(e.ts)));
  });

  it('keeps readings of an array stamped on arrival apart (one arrival slot per element)', () => {
    const r = make()(device('access-gate', 'generic-v1'), 'telemetry', [{ battery: 80 }, { battery: 79 }]);
    // Offset 0 is left to readings with their own time (src/normalise/stamp.ts).
    expect(r.points.map((p) => [p.fields.battery_pct, p.time])).toEqual([
      [80, `${NOW}000001`],
      [79, `${NOW}000002`],
    ]);
    expect(r.stamp).toEqual({ ms: NOW, offset: 1 });
  });

  it('never gives two time-less readings of a device the same key, even in one millisecond', () => {
    const run = make();
    const dev = device('access-gate', 'generic-v1');
    const times = Array.from({ length: 300 }, (_, i) =>
      run(dev, 'telemetry', i % 3 === 0 ? [{ battery: i }, { battery: i + 1 }] : { battery: i }).points.map(
        (p) => p.time,
      ),
    ).flat();
    expect(new Set(times).size).toBe(times.length);
    // A reading with its own time in that millisecond keeps offset 0, which no stamp takes.
    const timed = run(dev, 'telemetry', { battery: 1, ts: new Date(NOW).toISOString() }).points;
    expect(timed.map((p) => p.time)).toEqual([`${NOW}000000`]);
    expect(times).not.toContain(`${NOW}000000`);
    // Another device has a sequence of its own.
    expect(run({ ...dev, id: 'dev-02' }, 'telemetry', { battery: 5 }).points[0]!.time).toBe(`${NOW}000001`);
  });

  it('stamps a replay on the slots it is given, so a second replay lands on the same keys', () => {
    const n = createNormaliser({ models: registry, pseudonymKey: KEY, now: () => NOW });
    const dev = device('access-gate', 'generic-v1');
    const input = {
      site: dev.site,
      gateway: dev.gateway,
      device: dev,
      channel: 'telemetry' as const,
      payload: Buffer.from('[{"battery":1},{"battery":2}]'),
      receivedAt: NOW,
    };
    const first = n.normalise(input);
    n.normalise({ ...input, payload: Buffer.from('{"battery":3}') }); // takes the next slot
    const again = n.normalise({ ...input, stamp: first.stamp!, only: new Set([1]) });
    expect(again.points.map((p) => p.time)).toEqual([first.points[1]!.time]);
    expect(again.stamp).toEqual(first.stamp);
  });

  it('writes one heartbeat for a reading with nothing to store', () => {
    const r = make()(device('access-gate', 'generic-v1'), 'telemetry', {});
    expect(r.points).toEqual([
      {
        measurement: 'device_health',
        tags: { site: 'maple-court', gateway: 'gw-east', device: 'dev-01', building: 'b1', device_type: 'access-gate' },
        fields: { heartbeat: true },
        time: `${NOW}000001`,
      },
    ]);
  });

  it('refuses an oversized payload before parsing it', () => {
    const run = make(registry, { maxPayloadBytes: 10 });
    expect(
      run(device('access-gate', 'generic-v1'), 'telemetry', null, Buffer.from('{"door":"open"}')).rejects.map(
        (j) => j.reason,
      ),
    ).toEqual(['oversized']);
    expect(run(device('access-gate', 'generic-v1'), 'telemetry', null, Buffer.from('{        }')).rejects).toEqual([]);
  });

  it.each([
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'bad_json'],
    ['not JSON', Buffer.from('{"door":'), 'bad_json'],
    ['empty', Buffer.alloc(0), 'empty_payload'],
    ['an empty array', Buffer.from(' [] '), 'empty_payload'],
  ])('refuses a payload that is %s', (_what, raw, reason) => {
    const r = make()(device('access-gate', 'generic-v1'), 'telemetry', null, raw);
    expect(r).toEqual({ points: [], rejects: [{ reason, detail: expect.any(String) }] });
  });

  it('never puts a payload value into a detail', () => {
    const r = make()(device('waste-bin', 'generic-v1'), 'event', {
      id: 'e',
      ts: '2026-11-27T08:01:00+08:00',
      type: 'deposit',
      household: 'H-SECRET-1',
      category: 'kitchen',
      weight: 'H-SECRET-2',
      sorting: 'correct',
      auth: 'card',
    });
    expect(r.rejects[0]?.reason).toBe('schema');
    expect(r.rejects[0]?.detail).not.toContain('SECRET');
  });

  it('makes the unknown-device reject without a DeviceInfo', () => {
    const j = unknownDeviceReject('maple-court', 'gw-east', 'bin-99');
    expect(j.reason).toBe('unknown_device');
    expect(j.detail).toContain('bin-99');
    expect(j.detail).toContain('gw-east');
  });

  it('has a description for every reason', () => {
    for (const [reason, text] of Object.entries(REJECT_REASONS)) expect(text.length, reason).toBeGreaterThan(10);
  });
});
