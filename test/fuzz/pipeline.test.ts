/**
 * Fuzzing the whole ingest pipeline (src/normalise/pipeline.ts; docs/contract.md §2 and §3):
 * arbitrary bytes, arbitrary JSON and arrays of mutated fixtures, for every shipped model and both
 * channels, never make `normalise` throw. Each element ends as points or as a reject with a known
 * reason and a detail; a payload that does not decode is one reject without an index; the shipped
 * models never cause `normaliser_error`; points are well-formed, and two points of one message
 * share a key only where the key rule means them to (one event; one timed reading per millisecond).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceType } from '../../src/config/inventory.ts';
import { createNormaliser } from '../../src/normalise/pipeline.ts';
import { isRejectReason } from '../../src/normalise/reasons.ts';
import { loadRegistry } from '../../src/normalise/registry.ts';
import type { Point } from '../../src/point.ts';
import { FIXTURE } from '../helpers/fixtures.ts';
import { anyJson, payloadFor } from './arbitraries.ts';
import { fuzz } from './settings.ts';

const registry = await loadRegistry();
const NOW = Date.parse(FIXTURE.receivedAt);
const models = registry
  .list()
  .map((m) => ({ name: `${m.type}/${m.model}`, type: m.type as DeviceType, model: m.model }));

function checkPoint(p: Point): void {
  expect(typeof p.measurement === 'string' && p.measurement !== '').toBe(true);
  expect(/^-?\d+$/.test(p.time)).toBe(true);
  for (const k of ['site', 'gateway', 'device', 'building']) expect(p.tags[k]).toBeTypeOf('string');
  expect(Object.keys(p.fields).length).toBeGreaterThan(0);
  for (const v of Object.values(p.fields))
    expect(typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))).toBe(true);
}

describe.each(models)('pipeline fuzz, $name', ({ type, model }) => {
  const normaliser = createNormaliser({ models: registry, pseudonymKey: FIXTURE.pseudonymKey, now: () => NOW });
  const device = { site: FIXTURE.site, gateway: FIXTURE.gateway, id: FIXTURE.device, type, model, building: 'b1' };

  const payload = fc.constantFrom('telemetry' as const, 'event' as const).chain((channel) =>
    fc.tuple(
      fc.constant(channel),
      fc.oneof(
        { arbitrary: payloadFor(type, model, channel).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')), weight: 3 },
        {
          arbitrary: fc
            .array(payloadFor(type, model, channel), { minLength: 1, maxLength: 6 })
            .map((v) => Buffer.from(JSON.stringify(v))),
          weight: 2,
        },
        { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), weight: 1 },
        { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s)), weight: 1 },
        { arbitrary: anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? '')), weight: 1 },
      ),
    ),
  );

  it('never throws; every element is points or a reject with a reason', () => {
    fc.assert(
      fc.property(payload, ([channel, bytes]) => {
        const r = normaliser.normalise({
          site: FIXTURE.site,
          gateway: FIXTURE.gateway,
          device,
          channel,
          payload: bytes,
          receivedAt: NOW,
        });
        for (const j of r.rejects) {
          expect(isRejectReason(j.reason), j.reason).toBe(true);
          expect(j.reason, j.detail).not.toBe('normaliser_error');
          expect(j.detail.length).toBeGreaterThan(0);
        }
        r.points.forEach(checkPoint);
        let parsed: unknown;
        try {
          parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        } catch {
          parsed = undefined;
        }
        const decodes =
          parsed !== undefined && !(Array.isArray(parsed) && parsed.length === 0) && bytes.toString().trim() !== '';
        if (!decodes) {
          expect(r.points).toEqual([]);
          expect(r.rejects).toHaveLength(1);
          expect(r.rejects[0]!.index).toBeUndefined();
          return;
        }
        const n = Array.isArray(parsed) ? parsed.length : 1;
        const rejected = new Set(r.rejects.map((j) => j.index ?? 0));
        expect(rejected.size).toBe(r.rejects.length); // one reject per element at most
        // An accepted element yields at least its heartbeat (repeated heartbeats of one millisecond merge).
        if (rejected.size < n) expect(r.points.length).toBeGreaterThan(0);
        // Points sharing a key are meant to (devices/README.md "Point keys"): one event (same id),
        // or readings with the same own time (one reading per series and millisecond). Readings
        // stamped on arrival never share one.
        const byKey = new Map<string, Point>();
        for (const p of r.points) {
          const key = `${p.measurement}|${JSON.stringify(Object.entries(p.tags).sort())}|${p.time}`;
          const seen = byKey.get(key);
          byKey.set(key, p);
          if (seen === undefined || JSON.stringify(seen.fields) === JSON.stringify(p.fields)) continue;
          const sameEvent = p.fields.event_id !== undefined && p.fields.event_id === seen.fields.event_id;
          const ownTime = BigInt(p.time) % 1_000_000n === 0n;
          expect(sameEvent || ownTime, `${key}: ${JSON.stringify(seen.fields)} / ${JSON.stringify(p.fields)}`).toBe(
            true,
          );
        }
      }),
      fuzz(300),
    );
  });
});
