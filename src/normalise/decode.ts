/**
 * Payload → JSON elements (docs/contract.md §2: "one reading, or a JSON array of readings").
 * Size, emptiness, UTF-8 and JSON syntax are checked here once for every model.
 */
import type { Reject } from './reasons.ts';

/** The decoded elements, with `isArray` telling whether rejects should carry an index. */
export type Decoded = { ok: true; elements: unknown[]; isArray: boolean } | { ok: false; reject: Reject };

/** A character `String.prototype.trim` keeps (`\s` is its whitespace and line terminators). */
const NOT_BLANK = /\S/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decode a payload of at most `maxPayloadBytes` bytes into its elements. */
export function decodePayload(payload: Buffer, maxPayloadBytes: number): Decoded {
  if (payload.length > maxPayloadBytes) {
    return fail('oversized', `payload is ${payload.length} bytes; the limit is ${maxPayloadBytes}`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return fail('bad_json', 'payload is not valid UTF-8');
  }
  // A test, not `trim()`: no copy of every payload to find out it is not blank.
  if (!NOT_BLANK.test(text)) return fail('empty_payload', 'payload is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // SyntaxError messages quote at most a short excerpt of the input; keep only the position part.
    return fail('bad_json', `payload is not JSON (${syntaxWhere(e)})`);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return fail('empty_payload', 'payload is an empty JSON array');
    return { ok: true, elements: value, isArray: true };
  }
  return { ok: true, elements: [value], isArray: false };
}

function fail(reason: Reject['reason'], detail: string): Decoded {
  return { ok: false, reject: { reason, detail } };
}

/** "position N" / "line L column C" from a JSON SyntaxError, without any quoted input. */
function syntaxWhere(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const pos = /position \d+(?: \(line \d+ column \d+\))?/.exec(msg);
  if (pos) return `syntax error at ${pos[0]}`;
  if (/end of (JSON )?input/i.test(msg)) return 'unexpected end of input';
  return 'syntax error';
}
