/**
 * YAML-ish text for the loaders' fuzz tests: arbitrary text, values of any shape serialised as
 * YAML, a valid file with lines mutated, and YAML's sharper features (anchors and aliases, merge
 * keys, tags, flow collections, multi-documents, very deep nesting).
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { anyJson, edgeValue } from './arbitraries.ts';

const token = fc.constantFrom(
  ': ',
  '- ',
  '  ',
  '\n',
  '&a ',
  '*a',
  '<<: *a',
  '!!binary ',
  '!!set ',
  '!!omap ',
  '!!timestamp ',
  '!!int ',
  '!!float ',
  '!!str ',
  '!!null',
  '!custom ',
  '{',
  '}',
  '[',
  ']',
  ', ',
  '? ',
  '|',
  '>-',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '#',
  '"',
  "'",
  '\\u0000',
  '~',
  '.inf',
  '-.inf',
  '.nan',
  '0x1F',
  '0o17',
  '1e400',
  '99999999999999999999999',
  '256KiB',
  '10s',
  'true',
  'null',
  '__proto__',
  'constructor',
);

/** Keys of the documents loaded, so mutations hit fields the schema reads. */
function keyed(keys: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 }));
}

/** Lines of `valid` with a few replaced, removed, duplicated or cut. */
export function mutatedLines(valid: string): fc.Arbitrary<string> {
  const lines = valid.split('\n');
  const edit = fc.tuple(
    fc.nat({ max: lines.length - 1 }),
    fc.oneof(
      fc.constant(''),
      fc.array(token, { maxLength: 6 }).map((t) => t.join('')),
      fc.string({ unit: 'binary', maxLength: 20 }),
      edgeValue.map((v) => JSON.stringify(v)),
    ),
    fc.constantFrom('replace', 'append', 'value', 'cut', 'dup'),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let out = [...lines];
    for (const [i, text, how] of edits) {
      const at = Math.min(i, out.length - 1);
      if (at < 0) break;
      const line = out[at]!;
      if (how === 'replace') out[at] = text;
      else if (how === 'append') out.splice(at + 1, 0, text);
      else if (how === 'value') out[at] = line.includes(':') ? `${line.slice(0, line.indexOf(':') + 1)} ${text}` : text;
      else if (how === 'cut') out = out.slice(0, at);
      else out.splice(at, 0, line);
    }
    return out.join('\n');
  });
}

/** YAML-ish text built around `valid` (a file the loader accepts) and the loader's `keys`. */
export function yamlish(valid: string, keys: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: mutatedLines(valid), weight: 4 },
    { arbitrary: fc.array(fc.oneof(token, keyed(keys)), { maxLength: 30 }).map((t) => t.join('')), weight: 2 },
    { arbitrary: anyJson.map((v) => stringify(v)), weight: 1 },
    {
      arbitrary: fc.dictionary(keyed(keys), fc.oneof(anyJson, edgeValue), { maxKeys: 5 }).map((o) => stringify(o)),
      weight: 2,
    },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 1 },
    {
      arbitrary: fc.nat({ max: 3000 }).map((n) => `${'['.repeat(n)}1${']'.repeat(n)}`),
      weight: 1,
    },
    {
      // A billion laughs: aliases that expand exponentially.
      arbitrary: fc
        .nat({ max: 12 })
        .map(
          (n) =>
            `a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n` +
            Array.from({ length: n }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`).join(
              '\n',
            ),
        ),
      weight: 1,
    },
  );
}
