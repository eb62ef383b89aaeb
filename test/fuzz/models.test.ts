/**
 * Fuzzing every device model (devices/<type>/<model>/index.ts, through the registry): for mutated
 * fixtures and arbitrary JSON on both channels, `normalise` never throws and returns either a value
 * the pipeline can store (points with non-empty measurements and finite fields, a finite time or
 * none) or a refusal with a model reason (`schema`, `unknown_event_code`) and a detail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPseudonymiser, householdPseudonymiser } from '../../src/normalise/pseudonym.ts';
import { loadRegistry } from '../../src/normalise/registry.ts';
import type { ModelContext, ModelResult } from '../../src/normalise/model.ts';
import { FIXTURE } from '../helpers/fixtures.ts';
import { payloadFor, viaJson } from './arbitraries.ts';
import { fuzz } from './settings.ts';

const registry = await loadRegistry();
const pseudonymise = createPseudonymiser(FIXTURE.pseudonymKey);
const ctx: ModelContext = Object.freeze({ pseudonymise, household: householdPseudonymiser(pseudonymise) });
const models = registry.list().map((m) => ({ name: `${m.type}/${m.model}`, m }));

function checkResult(r: ModelResult): void {
  if (!r.ok) {
    expect(['schema', 'unknown_event_code']).toContain(r.reason);
    expect(typeof r.detail).toBe('string');
    expect(r.detail.length).toBeGreaterThan(0);
    return;
  }
  const { value } = r;
  if (value.timeMs !== undefined) expect(Number.isFinite(value.timeMs)).toBe(true);
  if (value.eventId !== undefined) expect(typeof value.eventId).toBe('string');
  for (const p of value.points) {
    expect(typeof p.measurement === 'string' && p.measurement !== '').toBe(true);
    for (const v of Object.values(p.tags)) expect(typeof v === 'string' && v !== '').toBe(true);
    for (const v of Object.values(p.fields)) {
      if (v === undefined) continue; // drafts may leave a field out as undefined; points.ts drops nothing else
      expect(typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))).toBe(
        true,
      );
    }
  }
}

describe.each(models)('$name fuzz', ({ m }) => {
  it.each(['telemetry', 'event'] as const)('%s: never throws, always a storable value or a model reason', (channel) => {
    fc.assert(
      fc.property(payloadFor(m.type, m.model, channel), (payload) => {
        const elements = Array.isArray(payload) ? payload : [payload];
        for (const e of elements) checkResult(m.normalise(channel, viaJson(e), ctx));
      }),
      fuzz(300),
    );
  });
});
