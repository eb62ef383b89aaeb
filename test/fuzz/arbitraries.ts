/**
 * Payload arbitraries for the fuzz tests: arbitrary JSON, and the golden fixtures' payloads
 * (devices/<type>/<model>/fixtures) mutated — a field replaced by any JSON value or an edge value,
 * removed, or a key added (including `__proto__` and `constructor`) — so inputs reach past the first
 * schema check into the models' code.
 */
import fc from 'fast-check';
import { fixtureInput, modelFixtures } from '../helpers/fixtures.ts';

type Json = unknown;

/** JSON values that tend to break code: edge numbers, odd times and codes, tricky strings. */
export const edgeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1e308,
    -1e308,
    5e-324,
    2 ** 53,
    2 ** 64,
    1_764_201_600,
    1_795_737_600_000,
    '',
    ' ',
    '0',
    'NaN',
    'Infinity',
    '__proto__',
    '2026-11-27T08:01:12+08:00',
    '2026-11-27T00:05:00Z',
    '2026-11-27T00:05:00.123456789Z',
    '2026-02-30T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '0x83',
    null,
    true,
    false,
    [],
    {},
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

/** Any JSON value, depth-bounded, with edge values among the leaves. */
export const anyJson: fc.Arbitrary<Json> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    edgeValue,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** `seed` with one change; recursive into nested objects and arrays. */
export function mutate(seed: Json, depth = 2): fc.Arbitrary<Json> {
  if (Array.isArray(seed) && seed.length > 0 && depth > 0) {
    return fc
      .tuple(fc.nat({ max: seed.length - 1 }), fc.constant(seed))
      .chain(([i, arr]) => mutate(arr[i], depth - 1).map((v) => arr.map((x, j) => (j === i ? v : x))));
  }
  if (seed === null || typeof seed !== 'object' || Array.isArray(seed)) return fc.oneof(edgeValue, anyJson);
  const obj = seed as Record<string, Json>;
  const keys = Object.keys(obj);
  const options: fc.Arbitrary<Json>[] = [
    fc
      .tuple(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor')), anyJson)
      .map(([k, v]) => ({ ...obj, [k]: v })),
  ];
  if (keys.length > 0) {
    const key = fc.constantFrom(...keys);
    options.push(
      fc.tuple(key, fc.oneof(edgeValue, anyJson)).map(([k, v]) => ({ ...obj, [k]: v })),
      key.map((k) => Object.fromEntries(Object.entries(obj).filter(([x]) => x !== k))),
    );
    if (depth > 0) options.push(key.chain((k) => mutate(obj[k], depth - 1).map((v) => ({ ...obj, [k]: v }))));
  }
  return fc.oneof(...options);
}

/** A JSON value as a payload goes through JSON (so `__proto__` is an own key, as JSON.parse makes it). */
export function viaJson(v: Json): Json {
  return JSON.parse(JSON.stringify(v) ?? 'null') as Json;
}

/** The fixtures' payloads of one model by channel (each array payload also as its elements). */
export function fixturePayloads(type: string, model: string): { telemetry: Json[]; event: Json[] } {
  const out: { telemetry: Json[]; event: Json[] } = { telemetry: [], event: [] };
  for (const m of modelFixtures()) {
    if (m.type !== type || m.model !== model) continue;
    for (const c of m.cases) {
      const input = fixtureInput(c.dir);
      if (input.payload === undefined) continue;
      out[input.channel].push(input.payload);
      if (Array.isArray(input.payload)) out[input.channel].push(...(input.payload as Json[]));
    }
  }
  return out;
}

/** A payload for `channel` of a model: a mutated fixture of it, of the other channel, or any JSON. */
export function payloadFor(type: string, model: string, channel: 'telemetry' | 'event'): fc.Arbitrary<Json> {
  const seeds = fixturePayloads(type, model);
  const own = seeds[channel];
  const other = seeds[channel === 'telemetry' ? 'event' : 'telemetry'];
  const pick = (list: Json[]) => fc.constantFrom(...list).chain((s) => fc.oneof(fc.constant(s), mutate(s)));
  return fc.oneof(
    ...(own.length > 0 ? [{ arbitrary: pick(own), weight: 4 }] : []),
    ...(other.length > 0 ? [{ arbitrary: pick(other), weight: 1 }] : []),
    { arbitrary: anyJson, weight: 1 },
  );
}
